{#-
    Matcher 2 of 3: account data <-> extended export. The same minute (account data keeps only minutes) and the same
    `ms_played`; rows alike in both are paired in order, so repeated plays stay separate.
-#}
with extended_by_minute as (
    select
        play_key,
        user_id,
        {{ utc_minute('ended_at') }} as played_minute,
        ms_played,
        row_number() over (
            partition by user_id, {{ utc_minute('ended_at') }}, ms_played order by ended_at, play_key
        ) as nth
    from {{ ref('int_listening__extended_plays') }}
),

account_by_minute as (
    select
        play_key,
        user_id,
        ended_at as played_minute,
        ms_played,
        row_number() over (partition by user_id, ended_at, ms_played order by play_key) as nth
    from {{ ref('int_listening__account_plays') }}
)

select account_by_minute.play_key as account_key, extended_by_minute.play_key as extended_key
from account_by_minute
inner join extended_by_minute
    on extended_by_minute.user_id = account_by_minute.user_id
    and extended_by_minute.played_minute = account_by_minute.played_minute
    and extended_by_minute.ms_played = account_by_minute.ms_played
    and extended_by_minute.nth = account_by_minute.nth
