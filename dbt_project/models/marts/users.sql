{#-
    Every account in the warehouse: those the API described (`GET /me`), and those known only from a data export
    imported with `--user-id` (no Spotify app needed), which have an id and nothing else until the API is read.
-#}
with described as (
    select
        user_id,
        display_name,
        country,
        product,
        followers,
        image_url,
        extracted_at
    from {{ ref('stg_spotify__users') }}
),

export_only as (
    select distinct exported.user_id
    from {{ ref('stg_spotify__export_streams') }} as exported
    left join described on described.user_id = exported.user_id
    where described.user_id is null and exported.user_id is not null
)

select * from described
union all
select
    user_id,
    cast(null as {{ spotify_type('string') }}) as display_name,
    cast(null as {{ spotify_type('string') }}) as country,
    cast(null as {{ spotify_type('string') }}) as product,
    cast(null as {{ spotify_type('integer') }}) as followers,
    cast(null as {{ spotify_type('string') }}) as image_url,
    cast(null as {{ spotify_type('timestamp') }}) as extracted_at
from export_only
