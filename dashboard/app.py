"""The dashboard's entry point: `streamlit run dashboard/app.py` (from the repository root). It only routes.

Pages live in dashboard/app_pages/ (UI only), SQL in dashboard/queries/ (one module per page), the warehouse in
dashboard/warehouse.py.

Why `app_pages/` and not `pages/`: Streamlit treats a `pages/` folder beside the entry point as an old-style
multipage app until `st.navigation` has run once in the server. A first visit straight to a page's address (a
bookmark, a reload after a restart) then runs that page file alone, without this router, and fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder on sys.path, not the repository: the pages import `dashboard.*`.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from dashboard import ui  # noqa: E402

st.set_page_config(page_title="Spotify warehouse", page_icon=":material/graphic_eq:", layout="wide")

PAGES = Path(__file__).resolve().parent / "app_pages"
navigation = st.navigation(
    {
        "You": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/home:", default=True),
            st.Page(PAGES / "listening.py", title="Listening", icon=":material/headphones:"),
            st.Page(PAGES / "top_lists.py", title="Top lists", icon=":material/trending_up:"),
            st.Page(PAGES / "wrapped.py", title="Wrapped", icon=":material/auto_awesome:"),
        ],
        "Household": [
            st.Page(PAGES / "together.py", title="Together", icon=":material/group:"),
        ],
        "Library": [
            st.Page(PAGES / "playlists.py", title="Playlists", icon=":material/queue_music:"),
            st.Page(PAGES / "artists.py", title="Artists & genres", icon=":material/groups:"),
            st.Page(PAGES / "audio_features.py", title="Audio features", icon=":material/equalizer:"),
        ],
        "Pipeline": [
            st.Page(PAGES / "data_health.py", title="Data health", icon=":material/monitor_heart:"),
        ],
    }
)
ui.guarded(navigation.run)
