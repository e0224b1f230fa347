{#- listening_history, step 2 of 3 origins: the extended streaming history, one row per play (macros/listening_steps.sql). -#}
{{ listening_extended_plays(ref('stg_spotify__export_streams')) }}
