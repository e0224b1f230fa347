{#-
    One row per play, from all three origins: the API's recently played (`api`), the extended streaming history
    (`extended_export`) and the account-data export (`account_export`). A play found in several origins appears once.
    Each step is a model of its own (views in spotify_staging), so each can be read and unit-tested alone:

    - the origins: int_listening__api_plays (named by their track), int_listening__extended_plays (repeated rows
      of one play collapsed), int_listening__account_plays;
    - the matchers: int_listening__extended_api_matches (same track within `listening_match_window_seconds`,
      nearest first), int_listening__account_extended_matches (same minute and `ms_played`, in order),
      int_listening__account_api_matches (same minute, track and artist name, for what the extended export lacks).
    Here the matched rows become one play: the richest origin describes it (extended, then API, then account data);
    `played_at` is the API's when known (millisecond precision), else the export's; an account-only play takes the
    id of a known track with the same name and primary artist.

    Incremental: a build replaces only the UTC days that received raw rows since the last build (the newest dlt
    load it has seen is kept in `source_load_id`), widened by the match window at midnight (delete+insert on DuckDB,
    partition overwrite on BigQuery, where the table is partitioned by the UTC day of `played_at`, i.e. by
    `played_date`, so that the dashboard's filters on `played_at` prune). The matchers see the rebuilt days and the
    day on each side of each, where every partner of their plays lies, so a rebuilt day holds what a full build
    would at the cost of those days, not of the whole history; a track learnt later for an old account-only play
    is settled by `--full-refresh`.
-#}
{{
    config(
        materialized='incremental',
        unique_key='played_date',
        incremental_strategy='insert_overwrite' if target.type == 'bigquery' else 'delete+insert',
        partition_by=(
            {'field': 'played_at', 'data_type': 'timestamp', 'granularity': 'day'}
            if target.type == 'bigquery' else none
        ),
        cluster_by=(['user_id'] if target.type == 'bigquery' else none),
        on_schema_change='fail',
    )
}}

{%- set window = var('listening_match_window_seconds') -%}
{%- set float = spotify_type('float') -%}

{#- The three origins and the three matchers: in a full build the int_listening__* models, which run the steps of
    macros/listening_steps.sql on everything; in an incremental build the same steps on the origins in scope only
    (the days it replaces and the day on each side of each, where any partner of their plays lies), since the
    matchers rank with window functions that no filter on their result can pass. Then the matched rows become one
    row per play. -#}
-- depends_on: {{ ref('stg_spotify__export_streams') }}, {{ ref('stg_spotify__recently_played') }}
with
{% if is_incremental() %}
last_build as (
    select coalesce(max(source_load_id), 0) as load_id from {{ this }}
),

new_moments as (
    select played_at as moment from {{ ref('stg_spotify__recently_played') }}
    where cast(load_id as {{ float }}) > (select load_id from last_build)
    union all
    select ended_at as moment from {{ ref('stg_spotify__export_streams') }}
    where cast(load_id as {{ float }}) > (select load_id from last_build)
),

affected_day_candidates as (
    select {{ utc_date('moment') }} as day from new_moments
    union all
    select {{ utc_date(add_seconds('moment', -1 * window)) }} as day from new_moments
    union all
    select {{ utc_date(add_seconds('moment', window)) }} as day from new_moments
),

affected_days as (
    select distinct day from affected_day_candidates
),

-- The affected days and the day on each side of each (a partner is at most the match window away).
days_in_scope as (
    select distinct day from (
        select day from affected_day_candidates
        union all
        select {{ utc_date(add_seconds('moment', -86400 - window)) }} as day from new_moments
        union all
        select {{ utc_date(add_seconds('moment', 86400 + window)) }} as day from new_moments
    ) as days
),

streams as (
    select * from {{ ref('stg_spotify__export_streams') }}
    where {{ utc_date('ended_at') }} in (select day from days_in_scope)
),

api as (
    select * from {{ ref('int_listening__api_plays') }}
    where {{ utc_date('played_at') }} in (select day from days_in_scope)
),

extended as (
    {{ listening_extended_plays('streams') }}
),

account as (
    {{ listening_account_plays('streams') }}
),

extended_api as (
    {{ listening_extended_api_matches('extended', 'api') }}
),

account_extended as (
    {{ listening_account_extended_matches('extended', 'account') }}
),

account_api as (
    {{ listening_account_api_matches('api', 'account', 'extended_api', 'account_extended') }}
),
{% else %}
api as (
    select * from {{ ref('int_listening__api_plays') }}
),

extended as (
    select * from {{ ref('int_listening__extended_plays') }}
),

account as (
    select * from {{ ref('int_listening__account_plays') }}
),

extended_api as (
    select * from {{ ref('int_listening__extended_api_matches') }}
),

account_extended as (
    select * from {{ ref('int_listening__account_extended_matches') }}
),

account_api as (
    select * from {{ ref('int_listening__account_api_matches') }}
),
{% endif %}

tracks as (
    select track_id, track_name, primary_artist_name from {{ ref('tracks') }}
),

api_unmatched as (
    select api.*
    from api
    left join extended_api on extended_api.user_id = api.user_id and extended_api.api_played_at = api.played_at
    where extended_api.play_key is null
),

account_unmatched as (
    select account.*
    from account
    left join account_extended on account_extended.account_key = account.play_key
    where account_extended.account_key is null
),

-- Account data names tracks but has no id: a known track with the same name and primary artist lends its id.
tracks_by_name as (
    select lower(track_name) as track_key, lower(primary_artist_name) as artist_key, min(track_id) as track_id
    from tracks
    group by lower(track_name), lower(primary_artist_name)
),

extended_plays as (
    select
        extended.play_key as origin_key,
        extended.user_id,
        coalesce(api.played_at, extended.ended_at) as played_at,
        'extended_export' as origin,
        api.played_at is not null as is_in_api,
        true as is_in_extended_export,
        account_extended.account_key is not null as is_in_account_export,
        -- An extended row with no metadata (an audiobook in files before 2025) is named by its account row.
        case
            when extended.content_type = 'unknown' and account.content_type is not null then account.content_type
            else extended.content_type
        end as content_type,
        extended.track_id,
        extended.episode_id,
        extended.ms_played,
        coalesce(extended.track_name, account.track_name) as track_name,
        coalesce(extended.artist_name, account.artist_name) as artist_name,
        extended.album_name,
        coalesce(extended.show_name, account.show_name) as show_name,
        coalesce(extended.episode_name, account.episode_name) as episode_name,
        coalesce(extended.audiobook_title, account.audiobook_title) as audiobook_title,
        coalesce(extended.audiobook_chapter_title, account.audiobook_chapter_title) as audiobook_chapter_title,
        api.context_type,
        api.context_uri,
        extended.platform,
        extended.conn_country,
        extended.reason_start,
        extended.reason_end,
        extended.is_skipped,
        extended.is_shuffle,
        extended.is_offline,
        extended.is_incognito,
        greatest(
            coalesce(extended.load_number, 0), coalesce(api.load_id, 0), coalesce(account.load_number, 0)
        ) as source_load_id
    from extended
    left join extended_api on extended_api.play_key = extended.play_key
    left join api on api.user_id = extended_api.user_id and api.played_at = extended_api.api_played_at
    left join account_extended on account_extended.extended_key = extended.play_key
    left join account on account.play_key = account_extended.account_key
),

api_plays as (
    select
        concat('api|', api_unmatched.user_id, '|', cast(api_unmatched.played_at as {{ spotify_type('string') }}))
            as origin_key,
        api_unmatched.user_id,
        api_unmatched.played_at,
        'api' as origin,
        true as is_in_api,
        false as is_in_extended_export,
        account.play_key is not null as is_in_account_export,
        'track' as content_type,
        api_unmatched.track_id,
        cast(null as {{ spotify_type('string') }}) as episode_id,
        account.ms_played,
        api_unmatched.track_name,
        api_unmatched.artist_name,
        api_unmatched.album_name,
        cast(null as {{ spotify_type('string') }}) as show_name,
        cast(null as {{ spotify_type('string') }}) as episode_name,
        cast(null as {{ spotify_type('string') }}) as audiobook_title,
        cast(null as {{ spotify_type('string') }}) as audiobook_chapter_title,
        api_unmatched.context_type,
        api_unmatched.context_uri,
        cast(null as {{ spotify_type('string') }}) as platform,
        cast(null as {{ spotify_type('string') }}) as conn_country,
        cast(null as {{ spotify_type('string') }}) as reason_start,
        cast(null as {{ spotify_type('string') }}) as reason_end,
        cast(null as {{ spotify_type('boolean') }}) as is_skipped,
        cast(null as {{ spotify_type('boolean') }}) as is_shuffle,
        cast(null as {{ spotify_type('boolean') }}) as is_offline,
        cast(null as {{ spotify_type('boolean') }}) as is_incognito,
        greatest(coalesce(api_unmatched.load_id, 0), coalesce(account.load_number, 0)) as source_load_id
    from api_unmatched
    left join account_api
        on account_api.user_id = api_unmatched.user_id and account_api.played_at = api_unmatched.played_at
    left join account on account.play_key = account_api.account_key
),

account_plays as (
    select
        account_unmatched.play_key as origin_key,
        account_unmatched.user_id,
        account_unmatched.ended_at as played_at,
        'account_export' as origin,
        false as is_in_api,
        false as is_in_extended_export,
        true as is_in_account_export,
        account_unmatched.content_type,
        case when account_unmatched.content_type = 'track' then tracks_by_name.track_id end as track_id,
        account_unmatched.episode_id,
        account_unmatched.ms_played,
        account_unmatched.track_name,
        account_unmatched.artist_name,
        account_unmatched.album_name,
        account_unmatched.show_name,
        account_unmatched.episode_name,
        account_unmatched.audiobook_title,
        account_unmatched.audiobook_chapter_title,
        cast(null as {{ spotify_type('string') }}) as context_type,
        cast(null as {{ spotify_type('string') }}) as context_uri,
        account_unmatched.platform,
        account_unmatched.conn_country,
        account_unmatched.reason_start,
        account_unmatched.reason_end,
        account_unmatched.is_skipped,
        account_unmatched.is_shuffle,
        account_unmatched.is_offline,
        account_unmatched.is_incognito,
        coalesce(account_unmatched.load_number, 0) as source_load_id
    from account_unmatched
    left join account_api on account_api.account_key = account_unmatched.play_key
    left join tracks_by_name
        on tracks_by_name.track_key = account_unmatched.track_key
        and tracks_by_name.artist_key = account_unmatched.artist_key
    where account_api.account_key is null
),

plays as (
    select * from extended_plays
    union all
    select * from api_plays
    union all
    select * from account_plays
)

select
    {{ dbt.hash("concat(plays.user_id, '|', plays.origin_key)") }} as play_id,
    user_id,
    played_at,
    {{ utc_date('played_at') }} as played_date,
    origin,
    is_in_api,
    is_in_extended_export,
    is_in_account_export,
    content_type,
    track_id,
    episode_id,
    ms_played,
    track_name,
    artist_name,
    album_name,
    show_name,
    episode_name,
    audiobook_title,
    audiobook_chapter_title,
    context_type,
    context_uri,
    platform,
    conn_country,
    reason_start,
    reason_end,
    is_skipped,
    is_shuffle,
    is_offline,
    is_incognito,
    cast(source_load_id as {{ float }}) as source_load_id
from plays
{% if is_incremental() %}
where {{ utc_date('played_at') }} in (select day from affected_days)
{% endif %}
