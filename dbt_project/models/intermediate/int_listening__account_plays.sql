{#- listening_history, step 3 of 3 origins: the account-data export, one row per play (macros/listening_steps.sql). -#}
{{ listening_account_plays(ref('stg_spotify__export_streams')) }}
