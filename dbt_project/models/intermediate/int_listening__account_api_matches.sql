{#-
    Matcher 3 of 3: account data <-> API, for the plays the extended export does not hold (neither side matched by
    the other two matchers): the same minute, track name and artist name (any case), paired in order.
-#}
with api_unmatched as (
    select
        api.user_id,
        api.played_at,
        api.played_minute,
        api.track_key,
        api.artist_key,
        row_number() over (
            partition by api.user_id, api.played_minute, api.track_key, api.artist_key order by api.played_at
        ) as nth
    from {{ ref('int_listening__api_plays') }} as api
    left join {{ ref('int_listening__extended_api_matches') }} as extended_api
        on extended_api.user_id = api.user_id and extended_api.api_played_at = api.played_at
    where extended_api.play_key is null
),

account_unmatched as (
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
    from {{ ref('int_listening__account_plays') }} as account
    left join {{ ref('int_listening__account_extended_matches') }} as account_extended
        on account_extended.account_key = account.play_key
    where account_extended.account_key is null
)

select account_unmatched.play_key as account_key, api_unmatched.user_id, api_unmatched.played_at
from account_unmatched
inner join api_unmatched
    on api_unmatched.user_id = account_unmatched.user_id
    and api_unmatched.played_minute = account_unmatched.ended_at
    and api_unmatched.track_key = account_unmatched.track_key
    and api_unmatched.artist_key = account_unmatched.artist_key
    and api_unmatched.nth = account_unmatched.nth
