select
    track_id,
    danceability,
    energy,
    key,
    loudness,
    mode,
    speechiness,
    acousticness,
    instrumentalness,
    liveness,
    valence,
    tempo,
    time_signature,
    extracted_at
from {{ ref('stg_spotify__audio_features') }}
