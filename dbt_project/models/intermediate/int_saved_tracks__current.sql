{#-
    The songs liked now. The source reads only new likes on most runs and the whole list when a count or the
    periodic check asks for it (extraction_runs.is_saved_tracks_complete); every like it sees then gets that run's
    `extracted_at`. So a like last seen before the account's latest complete read has been un-liked since. An
    account with no complete read recorded (a warehouse from before) keeps every like it has.
-#}
with likes as (
    select * from {{ ref('stg_spotify__saved_tracks') }}
),

complete_reads as (
    select user_id, last_saved_tracks_read_at from {{ ref('int_library_complete_reads') }}
),

current_likes as (
    select
        likes.user_id,
        likes.track_id,
        likes.added_at,
        likes.extracted_at,
        -- A song liked, un-liked and liked again has a row per like; only the newest can be current.
        row_number() over (partition by likes.user_id, likes.track_id order by likes.added_at desc) as recency
    from likes
    left join complete_reads on complete_reads.user_id = likes.user_id
    where complete_reads.last_saved_tracks_read_at is null
        or likes.extracted_at >= complete_reads.last_saved_tracks_read_at
)

select user_id, track_id, added_at, extracted_at
from current_likes
where recency = 1
