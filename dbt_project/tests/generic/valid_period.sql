{#- A history table's periods end after they start (or are open): a period that ends first is a bug of ours. -#}
{% test valid_period(model, valid_from='valid_from', valid_to='valid_to') %}
select *
from {{ model }}
where {{ valid_to }} is not null and {{ valid_to }} < {{ valid_from }}
{% endtest %}
