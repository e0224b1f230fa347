{#- Matcher 1 of 3: extended export <-> API, nearest first within the match window (macros/listening_steps.sql). -#}
{{ listening_extended_api_matches(ref('int_listening__extended_plays'), ref('int_listening__api_plays')) }}
