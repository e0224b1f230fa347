with source as (
    select * from {{ source('spotify', 'saved_tracks') }}
),

renamed as (
    select
        cast(user_id as {{ spotify_type('string') }}) as user_id,
        cast(track_id as {{ spotify_type('string') }}) as track_id,
        cast(added_at as {{ spotify_type('timestamp') }}) as added_at,
        cast(extracted_at as {{ spotify_type('timestamp') }}) as extracted_at
    from source
)

select * from renamed
