{#- Matcher 3 of 3: account data <-> API for what the extended export lacks, same minute and names, in order
    (macros/listening_steps.sql). -#}
{{ listening_account_api_matches(
    ref('int_listening__api_plays'), ref('int_listening__account_plays'),
    ref('int_listening__extended_api_matches'), ref('int_listening__account_extended_matches')
) }}
