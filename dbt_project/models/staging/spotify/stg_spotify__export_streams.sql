{#-
    Rows of Spotify's data export, both kinds (`extended` streaming history and `account` data), as the dlt source
    `spotify_export` lands them: already de-duplicated by `play_key`, IP addresses never stored. Empty and typed when
    nothing was ever imported, so `listening_history` builds from the API's plays alone.
-#}
{%- set string = spotify_type('string') -%}
{%- set integer = spotify_type('integer') -%}
{%- set boolean = spotify_type('boolean') -%}
{%- set timestamp = spotify_type('timestamp') -%}
{%- set columns = {
    "play_key": string, "user_id": string, "export_kind": string, "content_type": string, "ended_at": timestamp,
    "ms_played": integer, "track_name": string, "artist_name": string, "album_name": string, "track_uri": string,
    "episode_name": string, "show_name": string, "episode_uri": string, "audiobook_title": string,
    "audiobook_uri": string, "audiobook_chapter_uri": string, "audiobook_chapter_title": string, "platform": string,
    "conn_country": string, "reason_start": string, "reason_end": string, "shuffle": boolean, "skipped": boolean,
    "offline": boolean, "offline_at": timestamp, "incognito_mode": boolean, "source_file": string,
    "import_id": string, "_dlt_load_id": string,
} -%}

with source as (
    {{ source_or_empty('spotify', 'export_streams', columns) }}
),

renamed as (
    select
        cast(play_key as {{ string }}) as play_key,
        cast(user_id as {{ string }}) as user_id,
        cast(export_kind as {{ string }}) as export_kind,
        cast(content_type as {{ string }}) as content_type,
        cast(ended_at as {{ timestamp }}) as ended_at,
        cast(ms_played as {{ integer }}) as ms_played,
        cast(track_name as {{ string }}) as track_name,
        cast(artist_name as {{ string }}) as artist_name,
        cast(album_name as {{ string }}) as album_name,
        cast(track_uri as {{ string }}) as track_uri,
        -- `spotify:track:<id>` -> `<id>`; anything else (a local file's URI) has no track id.
        case when track_uri like 'spotify:track:%' then cast(substr(track_uri, 15) as {{ string }}) end as track_id,
        cast(episode_name as {{ string }}) as episode_name,
        cast(show_name as {{ string }}) as show_name,
        cast(episode_uri as {{ string }}) as episode_uri,
        case
            when episode_uri like 'spotify:episode:%' then cast(substr(episode_uri, 17) as {{ string }})
        end as episode_id,
        cast(audiobook_title as {{ string }}) as audiobook_title,
        cast(audiobook_uri as {{ string }}) as audiobook_uri,
        cast(audiobook_chapter_uri as {{ string }}) as audiobook_chapter_uri,
        cast(audiobook_chapter_title as {{ string }}) as audiobook_chapter_title,
        cast(platform as {{ string }}) as platform,
        cast(conn_country as {{ string }}) as conn_country,
        cast(reason_start as {{ string }}) as reason_start,
        cast(reason_end as {{ string }}) as reason_end,
        cast(shuffle as {{ boolean }}) as is_shuffle,
        cast(skipped as {{ boolean }}) as is_skipped,
        cast(offline as {{ boolean }}) as is_offline,
        cast(offline_at as {{ timestamp }}) as offline_at,
        cast(incognito_mode as {{ boolean }}) as is_incognito,
        cast(source_file as {{ string }}) as source_file,
        cast(import_id as {{ string }}) as import_id,
        cast(_dlt_load_id as {{ string }}) as load_id
    from source
)

select * from renamed
