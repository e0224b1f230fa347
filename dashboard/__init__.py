"""The Streamlit dashboard over the final tables (schema `spotify`): `streamlit run dashboard/app.py`.

It only reads the warehouse (DuckDB file or BigQuery); it imports neither the source nor `pipeline.py`, so it
runs wherever the warehouse is reachable, and a broken pipeline can never break it.
"""
