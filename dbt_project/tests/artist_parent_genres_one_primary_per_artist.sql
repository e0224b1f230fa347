{#- artist_parent_genres: each artist has exactly one primary parent genre (the recap counts a play once). -#}
select artist_id, sum(case when is_primary then 1 else 0 end) as primaries
from {{ ref('artist_parent_genres') }}
group by artist_id
having sum(case when is_primary then 1 else 0 end) != 1
