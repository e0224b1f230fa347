{#-
    listening_history, step 1 of 3 origins: the API's plays (recently played), named by their track so that account
    data (which has names but no ids) can find them. `played_minute`, `track_key`, `artist_key` are the match keys.
-#}
{%- set float = spotify_type('float') -%}

with plays as (
    select * from {{ ref('stg_spotify__recently_played') }}
),

tracks as (
    select track_id, track_name, primary_artist_name, album_name from {{ ref('tracks') }}
)

select
    plays.user_id,
    plays.played_at,
    plays.track_id,
    plays.context_type,
    plays.context_uri,
    cast(plays.load_id as {{ float }}) as load_id,
    tracks.track_name,
    tracks.primary_artist_name as artist_name,
    tracks.album_name,
    {{ utc_minute('plays.played_at') }} as played_minute,
    lower(tracks.track_name) as track_key,
    lower(tracks.primary_artist_name) as artist_key
from plays
left join tracks on tracks.track_id = plays.track_id
