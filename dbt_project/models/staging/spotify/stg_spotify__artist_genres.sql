with source as (
    select * from {{ source('spotify', 'artists__genres') }}
),

renamed as (
    select
        _dlt_parent_id as artist_row_id,
        cast(value as {{ spotify_type('string') }}) as genre
    from source
)

select * from renamed
