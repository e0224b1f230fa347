"""The pipeline's steps, each in a module named for it; `pipeline.py` (the command line) only wires them together.

    settings        where the warehouse and dlt's folder are, which destination, dlt's process settings
    loading         one source run into spotify_raw with dlt, its progress and summary
    transform       dbt build of the final tables, in this process
    export_import   `import-export`: a data export, whole or not at all, for its owner
    demo            `demo`: the emulator stands in for Spotify (the only module that uses it)
    login           `auth` and `status`: the browser login and its age
    status          the status report;  costs  the BigQuery free-tier report;  data_quality  dbt's warnings
    destinations    DuckDB or BigQuery settings shared by dlt, dbt and the cost report
    run_lock        one writing run at a time;  warehouse_access  waiting for readers of the DuckDB file
    run_log         `--log-file`, with tokens redacted

Errors a user can act on derive from spotify_source.errors.UserError and carry their exit code.
Nothing here imports pipeline.py or the dashboard; spotify_source never imports this package.
"""
