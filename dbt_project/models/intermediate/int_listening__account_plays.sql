{#-
    listening_history, step 3 of 3 origins: the account-data export, one row per play (minutes only, names but no
    ids), with the lower-case names it is matched by.
-#}
select
    *,
    cast(load_id as {{ spotify_type('float') }}) as load_number,
    lower(track_name) as track_key,
    lower(artist_name) as artist_key
from {{ ref('stg_spotify__export_streams') }}
where export_kind = 'account'
