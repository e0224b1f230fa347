{#-
    The playlists in the account's list now. Every run that reads the whole list
    (extraction_runs.is_playlists_complete; a `max_playlists` limit makes it partial) stamps each playlist it
    lists with its `extracted_at`: a playlist last listed before the latest complete list was deleted or
    unfollowed since. An account with no complete list recorded keeps every playlist it has.
-#}
with playlists as (
    select * from {{ ref('stg_spotify__playlists') }}
),

complete_listings as (
    select user_id, max(run_started_at) as last_complete_listing_at
    from {{ ref('stg_spotify__extraction_runs') }}
    where is_playlists_complete
    group by user_id
)

select playlists.*
from playlists
left join complete_listings on complete_listings.user_id = playlists.user_id
where complete_listings.last_complete_listing_at is null
    or playlists.extracted_at >= complete_listings.last_complete_listing_at
