select distinct
    artists.artist_id,
    genres.genre
from {{ ref('stg_spotify__artist_genres') }} as genres
inner join {{ ref('stg_spotify__artists') }} as artists on artists.artist_row_id = genres.artist_row_id
where genres.genre is not null
