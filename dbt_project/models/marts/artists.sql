{#-
    Every artist the warehouse knows: full objects (genres, images) where Spotify sent them, and artists only
    known from tracks (development-mode apps fetch full artists within a budget per run) with what tracks tell:
    id and name. Unknown values stay null, never invented.
-#}
with full_artists as (
    select * from {{ ref('stg_spotify__artists') }}
),

genre_counts as (
    select artist_row_id, count(*) as genre_count
    from {{ ref('stg_spotify__artist_genres') }}
    group by artist_row_id
),

from_tracks as (
    select
        artist_id,
        max(artist_name) as artist_name
    from {{ ref('stg_spotify__track_artists') }}
    where artist_id is not null
    group by artist_id
)

select
    full_artists.artist_id,
    full_artists.artist_name,
    full_artists.popularity,
    full_artists.followers,
    full_artists.image_url,
    cast(coalesce(genre_counts.genre_count, 0) as {{ spotify_type('integer') }}) as genre_count,
    true as is_full_profile,
    full_artists.extracted_at
from full_artists
left join genre_counts on genre_counts.artist_row_id = full_artists.artist_row_id

union all

select
    from_tracks.artist_id,
    from_tracks.artist_name,
    cast(null as {{ spotify_type('integer') }}) as popularity,
    cast(null as {{ spotify_type('integer') }}) as followers,
    cast(null as {{ spotify_type('string') }}) as image_url,
    cast(null as {{ spotify_type('integer') }}) as genre_count,
    false as is_full_profile,
    cast(null as {{ spotify_type('timestamp') }}) as extracted_at
from from_tracks
where from_tracks.artist_id not in (select artist_id from full_artists)
