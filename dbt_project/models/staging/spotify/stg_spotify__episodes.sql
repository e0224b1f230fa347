{%- set columns = {
    "id": spotify_type('string'), "name": spotify_type('string'), "duration_ms": spotify_type('integer'),
    "show_id": spotify_type('string'), "show_name": spotify_type('string'), "extracted_at": spotify_type('timestamp'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'episodes', columns) }}
),

renamed as (
    select
        cast(id as {{ spotify_type('string') }}) as episode_id,
        cast(name as {{ spotify_type('string') }}) as episode_name,
        cast(duration_ms as {{ spotify_type('integer') }}) as duration_ms,
        cast(show_id as {{ spotify_type('string') }}) as show_id,
        cast(show_name as {{ spotify_type('string') }}) as show_name,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
