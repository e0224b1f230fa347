{#-
    The playlists in the account's list now. Every run that reads the whole list
    (extraction_runs.is_playlists_complete; a `max_playlists` limit makes it partial) stamps each playlist it
    lists with its `extracted_at`: a playlist last listed before the latest complete list was deleted or
    unfollowed since. An account with no complete list recorded keeps every playlist it has.
-#}
with playlists as (
    select * from {{ ref('stg_spotify__playlists') }}
),

complete_reads as (
    select user_id, last_playlists_read_at from {{ ref('int_library_complete_reads') }}
)

select playlists.*
from playlists
left join complete_reads on complete_reads.user_id = playlists.user_id
where complete_reads.last_playlists_read_at is null
    or playlists.extracted_at >= complete_reads.last_playlists_read_at
