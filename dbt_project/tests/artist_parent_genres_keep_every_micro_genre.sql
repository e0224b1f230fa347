{#- artist_parent_genres: every micro-genre of `artist_genres` lands in exactly one parent (`Other` at worst), so
    no listening disappears when genres are grouped. -#}
with grouped as (
    select artist_id, sum(micro_genre_count) as micro_genres
    from {{ ref('artist_parent_genres') }}
    group by artist_id
),

given as (
    select artist_id, count(*) as micro_genres
    from {{ ref('artist_genres') }}
    group by artist_id
)

select given.artist_id, given.micro_genres as given, grouped.micro_genres as grouped
from given
left join grouped on grouped.artist_id = given.artist_id
where grouped.micro_genres is null or grouped.micro_genres != given.micro_genres
