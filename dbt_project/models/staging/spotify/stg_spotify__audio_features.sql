{%- set columns = {
    "id": spotify_type('string'), "danceability": spotify_type('float'), "energy": spotify_type('float'),
    "key": spotify_type('integer'), "loudness": spotify_type('float'), "mode": spotify_type('integer'),
    "speechiness": spotify_type('float'), "acousticness": spotify_type('float'),
    "instrumentalness": spotify_type('float'), "liveness": spotify_type('float'), "valence": spotify_type('float'),
    "tempo": spotify_type('float'), "time_signature": spotify_type('integer'), "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'audio_features', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as track_id,
        cast(danceability as {{ spotify_type('float') }}) as danceability,
        cast(energy as {{ spotify_type('float') }}) as energy,
        cast(key as {{ spotify_type('integer') }}) as key,
        cast(loudness as {{ spotify_type('float') }}) as loudness,
        cast(mode as {{ spotify_type('integer') }}) as mode,
        cast(speechiness as {{ spotify_type('float') }}) as speechiness,
        cast(acousticness as {{ spotify_type('float') }}) as acousticness,
        cast(instrumentalness as {{ spotify_type('float') }}) as instrumentalness,
        cast(liveness as {{ spotify_type('float') }}) as liveness,
        cast(valence as {{ spotify_type('float') }}) as valence,
        cast(tempo as {{ spotify_type('float') }}) as tempo,
        cast(time_signature as {{ spotify_type('integer') }}) as time_signature,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
