{%- set columns = {
    "user_id": spotify_type('string'), "played_at": spotify_type('timestamp'), "track_id": spotify_type('string'),
    "context_type": spotify_type('string'), "context_uri": spotify_type('string'),
    "extracted_at": spotify_type('timestamp'), "_dlt_load_id": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'recently_played', columns) }}
),

renamed as (
    select
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(played_at as {{ spotify_type('timestamp') }}) as played_at,
        cast(track_id as {{ spotify_type('string') }}) as track_id,
        cast(context_type as {{ spotify_type('string') }}) as context_type,
        cast(context_uri as {{ spotify_type('string') }}) as context_uri,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at,
        -- dlt's load id: which plays arrived since a model last looked (listening_history's incremental builds).
        cast(_dlt_load_id as {{ spotify_type('string') }}) as load_id
    from source
)

select * from renamed
