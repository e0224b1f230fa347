{#-
    The playlists in the account's list now (see int_playlists__current); playlists_history keeps the rest.
    `is_items_accessible`: the entries of the playlist's current snapshot are in the warehouse, or the playlist is
    empty and the app's tier may read it (a development-mode app may not read followed playlists, empty or not).
-#}
with playlists as (
    select * from {{ ref('int_playlists__current') }}
),

read_snapshots as (
    select distinct user_id, playlist_id, snapshot_id from {{ ref('stg_spotify__playlist_items') }}
),

latest_tier as (
    select user_id, tier
    from (
        select
            user_id,
            tier,
            row_number() over (partition by user_id order by run_started_at desc) as recency
        from {{ ref('stg_spotify__extraction_runs') }}
    ) as runs
    where recency = 1
)

select
    playlists.playlist_id,
    playlists.user_id,
    playlists.playlist_name,
    playlists.description,
    playlists.owner_id,
    playlists.owner_name,
    playlists.is_public,
    playlists.is_collaborative,
    playlists.snapshot_id,
    playlists.track_count,
    (
        read_snapshots.playlist_id is not null
        or (
            playlists.track_count = 0
            and (
                coalesce(latest_tier.tier, 'extended') != 'development'
                or playlists.owner_id = playlists.user_id
                or playlists.is_collaborative
            )
        )
    ) as is_items_accessible,
    playlists.image_url,
    playlists.extracted_at
from playlists
left join read_snapshots
    on read_snapshots.user_id = playlists.user_id
    and read_snapshots.playlist_id = playlists.playlist_id
    and read_snapshots.snapshot_id = playlists.snapshot_id
left join latest_tier on latest_tier.user_id = playlists.user_id
