{#-
    The steps of listening_history as SQL over the inputs it is given (a relation or a CTE's name). Each
    int_listening__* model calls its step on its refs, where the unit tests pin it; listening_history calls the same
    steps on origins already cut to the days an incremental build replaces (and their neighbours), so that it matches
    those days only instead of the whole history again: the matchers rank with window functions, which no filter on
    their result can pass. One SELECT each (no WITH), so a step can sit in another model's CTE on both warehouses.
-#}

{#- Origin 2 of 3: the extended streaming history, one row per play. Spotify repeats rows of one play (same `ts` and
    URI) within and across export files: the row with the longest `ms_played` is kept. -#}
{% macro listening_extended_plays(export_streams) %}
select * from (
    select
        *,
        cast(load_id as {{ spotify_type('float') }}) as load_number,
        row_number() over (
            partition by
                user_id, ended_at,
                coalesce(track_uri, episode_uri, audiobook_chapter_uri, audiobook_uri, play_key)
            order by ms_played desc, play_key
        ) as repeat_rank
    from {{ export_streams }}
    where export_kind = 'extended'
) as ranked
where repeat_rank = 1
{% endmacro %}

{#- Origin 3 of 3: the account-data export, one row per play (minutes only, names but no ids), with the lower-case
    names it is matched by. -#}
{% macro listening_account_plays(export_streams) %}
select
    *,
    cast(load_id as {{ spotify_type('float') }}) as load_number,
    lower(track_name) as track_key,
    lower(artist_name) as artist_key
from {{ export_streams }}
where export_kind = 'account'
{% endmacro %}

{#- Matcher 1 of 3: extended export <-> API. The same track, the export's `ts` within
    `listening_match_window_seconds` of the API's `played_at` (both mark when the stream ended); each side is
    matched at most once, nearest first, so repeated plays of one track stay separate. -#}
{% macro listening_extended_api_matches(extended, api) %}
{%- set window = var('listening_match_window_seconds') -%}
select play_key, user_id, api_played_at from (
    select
        *,
        row_number() over (partition by play_key order by distance, api_played_at) as extended_rank,
        row_number() over (partition by user_id, api_played_at order by distance, play_key) as api_rank
    from (
        select
            extended.play_key,
            api.user_id,
            api.played_at as api_played_at,
            abs({{ seconds_between('api.played_at', 'extended.ended_at') }}) as distance
        from {{ extended }} as extended
        inner join {{ api }} as api
            on api.user_id = extended.user_id
            and api.track_id = extended.track_id
            and extended.ended_at >= {{ add_seconds('api.played_at', -1 * window) }}
            and extended.ended_at <= {{ add_seconds('api.played_at', window) }}
    ) as candidates
) as ranked
where extended_rank = 1 and api_rank = 1
{% endmacro %}

{#- Matcher 2 of 3: account data <-> extended export. The same minute (account data keeps only minutes) and the same
    `ms_played`; rows alike in both are paired in order, so repeated plays stay separate. -#}
{% macro listening_account_extended_matches(extended, account) %}
select account_by_minute.play_key as account_key, extended_by_minute.play_key as extended_key
from (
    select
        play_key,
        user_id,
        ended_at as played_minute,
        ms_played,
        row_number() over (partition by user_id, ended_at, ms_played order by play_key) as nth
    from {{ account }}
) as account_by_minute
inner join (
    select
        play_key,
        user_id,
        {{ utc_minute('ended_at') }} as played_minute,
        ms_played,
        row_number() over (
            partition by user_id, {{ utc_minute('ended_at') }}, ms_played order by ended_at, play_key
        ) as nth
    from {{ extended }}
) as extended_by_minute
    on extended_by_minute.user_id = account_by_minute.user_id
    and extended_by_minute.played_minute = account_by_minute.played_minute
    and extended_by_minute.ms_played = account_by_minute.ms_played
    and extended_by_minute.nth = account_by_minute.nth
{% endmacro %}

{#- Matcher 3 of 3: account data <-> API, for the plays the extended export does not hold (neither side matched by
    the other two matchers): the same minute, track name and artist name (any case), paired in order. -#}
{% macro listening_account_api_matches(api, account, extended_api, account_extended) %}
select account_unmatched.play_key as account_key, api_unmatched.user_id, api_unmatched.played_at
from (
    select
        account.play_key,
        account.user_id,
        account.ended_at,
        account.track_key,
        account.artist_key,
        row_number() over (
            partition by account.user_id, account.ended_at, account.track_key, account.artist_key
            order by account.play_key
        ) as nth
    from {{ account }} as account
    left join {{ account_extended }} as account_extended
        on account_extended.account_key = account.play_key
    where account_extended.account_key is null
) as account_unmatched
inner join (
    select
        api.user_id,
        api.played_at,
        api.played_minute,
        api.track_key,
        api.artist_key,
        row_number() over (
            partition by api.user_id, api.played_minute, api.track_key, api.artist_key order by api.played_at
        ) as nth
    from {{ api }} as api
    left join {{ extended_api }} as extended_api
        on extended_api.user_id = api.user_id and extended_api.api_played_at = api.played_at
    where extended_api.play_key is null
) as api_unmatched
    on api_unmatched.user_id = account_unmatched.user_id
    and api_unmatched.played_minute = account_unmatched.ended_at
    and api_unmatched.track_key = account_unmatched.track_key
    and api_unmatched.artist_key = account_unmatched.artist_key
    and api_unmatched.nth = account_unmatched.nth
{% endmacro %}
