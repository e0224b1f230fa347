{%- set columns = {
    "value": spotify_type('string'), "_dlt_parent_id": spotify_type('string'),
} -%}

with source as (
    {{ source_or_empty('spotify', 'artists__genres', columns) }}
),

renamed as (
    select
        _dlt_parent_id as artist_row_id,
        cast(value as {{ spotify_type('string') }}) as genre
    from source
)

select * from renamed
