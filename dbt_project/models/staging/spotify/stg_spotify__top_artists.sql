with source as (
    select * from {{ source('spotify', 'top_artists') }}
),

renamed as (
    select
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(time_range as {{ spotify_type('string') }}) as time_range,
        cast(snapshot_date as {{ spotify_type('date') }}) as snapshot_date,
        cast(rank as {{ spotify_type('integer') }}) as rank,
        cast(artist_id as {{ spotify_type('string') }}) as artist_id,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
