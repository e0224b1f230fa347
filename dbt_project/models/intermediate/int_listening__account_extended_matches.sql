{#- Matcher 2 of 3: account data <-> extended export, same minute and ms_played, in order (macros/listening_steps.sql). -#}
{{ listening_account_extended_matches(ref('int_listening__extended_plays'), ref('int_listening__account_plays')) }}
