{#-
    The columns are the model's key: none is null and no two rows share them. One query for what `unique` and
    `not_null` on each column would check in several: a key with a null part, or a repeated key, fails.
-#}
{% test primary_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
    {%- for column in columns %} or {{ column }} is null{% endfor %}
{% endtest %}
