{#-
    listening_sessions' post-hook: remove sessions a rebuild superseded. An incremental build recomputes the
    sessions around new plays and merges them by `session_id` (hash of user and start); when new plays join two
    sessions, or extend one backwards, the old sessions' ids are not recomputed and would stay beside the session
    that now holds their plays. Valid sessions never overlap, so in each run of overlapping sessions the newest
    (highest `source_load_id`) is kept and the rest go. Window functions, not a self-join: linear in sessions.
-#}
{% macro delete_superseded_sessions(relation) %}
delete from {{ relation }}
where session_id in (
    select session_id from (
        select
            session_id,
            row_number() over (
                partition by user_id, overlap_group order by source_load_id desc, ended_at desc, session_id
            ) as keep_rank
        from (
            select
                session_id, user_id, ended_at, source_load_id,
                sum(starts_group) over (
                    partition by user_id order by started_at, session_id rows unbounded preceding
                ) as overlap_group
            from (
                select
                    session_id, user_id, started_at, ended_at, source_load_id,
                    case
                        when previous_end is null or started_at > previous_end then 1 else 0
                    end as starts_group
                from (
                    select
                        session_id, user_id, started_at, ended_at, source_load_id,
                        max(ended_at) over (
                            partition by user_id order by started_at, session_id
                            rows between unbounded preceding and 1 preceding
                        ) as previous_end
                    from {{ relation }}
                ) as with_previous_end
            ) as with_group_starts
        ) as grouped
    ) as ranked
    where keep_rank > 1
)
{% endmacro %}
