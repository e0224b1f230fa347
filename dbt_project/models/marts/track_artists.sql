{#- Which artists perform each track, in Spotify's order (0 = the primary artist). -#}
with tracks as (
    select
        track_id,
        track_row_id,
        row_number() over (partition by track_id order by extracted_at desc, track_row_id) as recency
    from {{ ref('stg_spotify__tracks') }}
)

select
    tracks.track_id,
    track_artists.artist_position,
    track_artists.artist_id
from tracks
inner join {{ ref('stg_spotify__track_artists') }} as track_artists
    on track_artists.track_row_id = tracks.track_row_id
where tracks.recency = 1 and track_artists.artist_id is not null
