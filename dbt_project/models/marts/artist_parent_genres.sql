{#-
    Each artist's micro-genres grouped under the parent genres people recognise, by the rules of the seeds
    (seeds/_seeds.yml): an explicit name first, else the keyword of lowest priority, else `Other`. One row per
    (artist, parent); exactly one per artist is primary: most micro-genres, then the parent listed first.
-#}
with genres as (
    select artist_id, genre, {{ parent_genre_key('genre') }} as genre_key
    from {{ ref('artist_genres') }}
),

micro_genres as (
    select distinct genre_key from genres
),

explicit as (
    select {{ parent_genre_key('micro_genre') }} as genre_key, parent_genre
    from {{ ref('parent_genre_explicit') }}
),

keywords as (
    select priority, {{ parent_genre_key('keyword') }} as keyword, match_as, parent_genre
    from {{ ref('parent_genre_keywords') }}
),

-- Every keyword found in a micro-genre, best first: lowest priority, then the longer (more specific) keyword.
keyword_matches as (
    select
        micro_genres.genre_key,
        keywords.parent_genre,
        row_number() over (
            partition by micro_genres.genre_key
            order by keywords.priority, length(keywords.keyword) desc, keywords.keyword
        ) as match_rank
    from micro_genres
    cross join keywords
    where
        case
            when keywords.match_as = 'word'
                then strpos(concat(' ', micro_genres.genre_key, ' '), concat(' ', keywords.keyword, ' '))
            else strpos(micro_genres.genre_key, keywords.keyword)
        end > 0
),

placed as (
    select
        micro_genres.genre_key,
        coalesce(explicit.parent_genre, keyword_matches.parent_genre, 'Other') as parent_genre
    from micro_genres
    left join explicit on explicit.genre_key = micro_genres.genre_key
    left join keyword_matches
        on keyword_matches.genre_key = micro_genres.genre_key and keyword_matches.match_rank = 1
),

by_parent as (
    select
        genres.artist_id,
        placed.parent_genre,
        string_agg(genres.genre, ', ' order by genres.genre) as micro_genres,
        count(*) as micro_genre_count
    from genres
    inner join placed on placed.genre_key = genres.genre_key
    group by genres.artist_id, placed.parent_genre
),

ranked as (
    select
        by_parent.*,
        row_number() over (
            partition by by_parent.artist_id
            order by by_parent.micro_genre_count desc, coalesce(parents.parent_order, 1000), by_parent.parent_genre
        ) as parent_rank
    from by_parent
    left join {{ ref('parent_genres') }} as parents on parents.parent_genre = by_parent.parent_genre
)

select
    cast(artist_id as {{ spotify_type('string') }}) as artist_id,
    cast(parent_genre as {{ spotify_type('string') }}) as parent_genre,
    cast(micro_genres as {{ spotify_type('string') }}) as micro_genres,
    cast(micro_genre_count as {{ spotify_type('integer') }}) as micro_genre_count,
    parent_rank = 1 as is_primary
from ranked
