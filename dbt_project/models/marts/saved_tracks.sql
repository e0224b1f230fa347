{#- The songs liked now (see int_saved_tracks__current); saved_tracks_history keeps the ones un-liked. -#}
select
    user_id,
    track_id,
    added_at,
    extracted_at
from {{ ref('int_saved_tracks__current') }}
