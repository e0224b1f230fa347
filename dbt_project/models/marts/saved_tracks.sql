select
    user_id,
    track_id,
    added_at,
    extracted_at
from {{ ref('stg_spotify__saved_tracks') }}
