select
    user_id,
    display_name,
    country,
    product,
    followers,
    image_url,
    extracted_at
from {{ ref('stg_spotify__users') }}
