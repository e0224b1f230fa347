{#- No event after now: a play from the future means a clock or time-zone mistake somewhere upstream. -#}
{% test not_in_future(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} > {{ dbt.current_timestamp() }}
{% endtest %}
