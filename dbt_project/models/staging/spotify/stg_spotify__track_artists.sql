with source as (
    select * from {{ source('spotify', 'tracks__artists') }}
),

renamed as (
    select
        _dlt_parent_id as track_row_id,
        cast(artist_id as {{ spotify_type('string') }}) as artist_id,
        cast(artist_name as {{ spotify_type('string') }}) as artist_name,
        cast(position as {{ spotify_type('integer') }}) as artist_position
    from source
)

select * from renamed
