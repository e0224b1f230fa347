{#- One row per track. A track met in several places (a playlist, a play, a top list) keeps its latest copy. -#}
with tracks as (
    select
        *,
        row_number() over (partition by track_id order by extracted_at desc, track_row_id) as recency
    from {{ ref('stg_spotify__tracks') }}
),

latest as (
    select * from tracks where recency = 1
),

primary_artists as (
    select track_row_id, artist_id, artist_name
    from {{ ref('stg_spotify__track_artists') }}
    where artist_position = 0
)

select
    latest.track_id,
    latest.track_name,
    latest.album_id,
    latest.album_name,
    latest.album_type,
    latest.release_date,
    latest.release_date_precision,
    cast(extract(year from latest.release_date) as {{ spotify_type('integer') }}) as release_year,
    latest.duration_ms,
    latest.popularity,
    latest.is_explicit,
    latest.isrc,
    primary_artists.artist_id as primary_artist_id,
    primary_artists.artist_name as primary_artist_name,
    latest.album_image_url,
    latest.extracted_at
from latest
left join primary_artists on primary_artists.track_row_id = latest.track_row_id
