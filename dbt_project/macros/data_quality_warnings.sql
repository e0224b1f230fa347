{#-
    on-run-end: what the data tests with `severity: warn` found, in `spotify.data_quality_warnings`.

    Tests of values Spotify controls (vocabularies, ranges, fields it may omit) warn instead of failing the build:
    a value the tests did not expect must not stop the warehouse. A warning nobody sees is no better than none, so
    each build of tests replaces this table with its warnings (test, model, column, rows, a few example values);
    the dashboard's Data health page and the pipeline's summary read it. An empty table: the last build warned of
    nothing. Only a `build` or `test` that ran data tests writes it: a `dbt run`, or a run of the unit tests alone,
    tested no data and must not erase the findings.
    Each warning is also logged as one line `data_quality_warning {json}` for a caller that runs dbt in-process.
-#}
{% macro record_data_quality_warnings(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'test') -%}
        {{ return('') }}
    {%- endif -%}
    {#- Only unit tests ran (`dbt test --select test_type:unit`): no data was tested, the last findings stand. -#}
    {%- if results | selectattr('node.resource_type', 'equalto', 'test') | list | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set warnings = [] -%}
    {%- for result in results -%}
        {%- if result.node.resource_type == 'test' and result.status == 'warn' -%}
            {%- do warnings.append(data_quality_warning(result)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set relation = api.Relation.create(
        database=target.database, schema=generate_schema_name('spotify'), identifier='data_quality_warnings'
    ) -%}
    {%- do adapter.create_schema(relation) -%}
    {%- set built_at = spotify_string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ '+00:00') -%}
    {%- set selects = [] -%}
    {%- for warning in warnings -%}
        {%- do log('data_quality_warning ' ~ tojson(warning)) -%}
        {%- do selects.append(
            'select cast(' ~ built_at ~ ' as ' ~ spotify_type('timestamp') ~ ') as built_at, '
            ~ spotify_string_literal(invocation_id) ~ ' as invocation_id, '
            ~ spotify_string_literal(warning.test_name) ~ ' as test_name, '
            ~ spotify_string_literal(warning.test_type) ~ ' as test_type, '
            ~ spotify_string_literal(warning.model_name) ~ ' as model_name, '
            ~ spotify_string_literal(warning.column_name) ~ ' as column_name, '
            ~ 'cast(' ~ warning.failing_rows ~ ' as ' ~ spotify_type('integer') ~ ') as failing_rows, '
            ~ spotify_string_literal(warning.expected) ~ ' as expected, '
            ~ spotify_string_literal(warning.example_values | join(', ')) ~ ' as example_values'
        ) -%}
    {%- endfor -%}
    {%- if not selects -%}
        {%- do selects.append(
            'select cast(null as ' ~ spotify_type('timestamp') ~ ') as built_at, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as invocation_id, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as test_name, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as test_type, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as model_name, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as column_name, '
            ~ 'cast(null as ' ~ spotify_type('integer') ~ ') as failing_rows, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as expected, '
            ~ 'cast(null as ' ~ spotify_type('string') ~ ') as example_values '
            ~ 'from (select 1 as one) as nothing where 1 = 0'
        ) -%}
    {%- endif -%}
    {%- call statement('data_quality_warnings') -%}
        create or replace table {{ relation }} as
        {{ selects | join('\nunion all\n') }}
    {%- endcall -%}
    {#- dbt rolls the hooks' connection back after on-run-end: without this DuckDB would drop the table again. -#}
    {%- do adapter.commit() -%}
    {{ return('') }}
{% endmacro %}


{#-
    One warned test as a dict: its name, type, model, column, failing rows, what it expected and up to five example
    values, read by running the test's own compiled query again (the rows it found) with a limit.
    accepted_values returns one row per unexpected value with its row count (n_records): its `failures` count
    values, not rows, so the rows are summed here; every other test returns the failing rows themselves.
-#}
{% macro data_quality_warning(result) %}
    {%- set node = result.node -%}
    {%- set metadata = node.test_metadata -%}
    {%- set kwargs = metadata.kwargs if metadata else {} -%}
    {%- set test_type = metadata.name if metadata else 'singular' -%}
    {%- set column_name = node.column_name or kwargs.get('column_name') or '' -%}
    {%- set found = run_query('select * from (' ~ node.compiled_code ~ ') as failing limit 100') -%}
    {%- set examples = [] -%}
    {%- set counted = namespace(rows=0) -%}
    {%- for row in found.rows -%}
        {%- if test_type == 'accepted_values' and 'n_records' in found.column_names -%}
            {%- set counted.rows = counted.rows + (row['n_records'] | int) -%}
            {%- set shown = (row[0] | string) ~ ' (' ~ row['n_records'] ~ ' rows)' -%}
        {%- else -%}
            {%- set shown = row[0] | string -%}
        {%- endif -%}
        {%- if shown not in examples and examples | length < 5 -%}
            {%- do examples.append(shown[:80]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if test_type == 'accepted_values' -%}
        {%- set expected = 'one of ' ~ (kwargs.get('values') or []) | join(', ') -%}
    {%- elif test_type == 'accepted_range' -%}
        {%- set expected = 'between ' ~ (kwargs.get('min_value') if kwargs.get('min_value') is not none else '-inf')
            ~ ' and ' ~ (kwargs.get('max_value') if kwargs.get('max_value') is not none else 'inf') -%}
    {%- elif test_type == 'not_null' -%}
        {%- set expected = 'not null' -%}
    {%- else -%}
        {%- set expected = test_type -%}
    {%- endif -%}
    {{ return({
        'test_name': node.name,
        'test_type': test_type,
        'model_name': (node.attached_node or '').split('.')[-1],
        'column_name': column_name,
        'failing_rows': counted.rows if test_type == 'accepted_values' and counted.rows else (result.failures or 0),
        'expected': expected,
        'example_values': examples,
    }) }}
{% endmacro %}


{#- A SQL string literal of any text: DuckDB doubles a quote, BigQuery escapes it with a backslash. -#}
{% macro spotify_string_literal(value) %}{{ return(adapter.dispatch('spotify_string_literal', 'spotify_warehouse')(value)) }}{% endmacro %}
{% macro default__spotify_string_literal(value) %}{{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}{% endmacro %}
{% macro bigquery__spotify_string_literal(value) %}
    {{ return("'" ~ (value | string).replace('\\', '\\\\').replace("'", "\\'").replace('\n', '\\n') ~ "'") }}
{% endmacro %}
