"""framing dashboard: how tabloids, officials, experts and the media frame the same story.

Run with ``framing dashboard`` (or ``streamlit run app.py`` from the source tree). The pages live beside this
script in ``framing.ui``; they render what ``framing.service`` and ``framing.views`` compute.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from framing.ui.common import keep_choices

__all__ = ["main"]

PAGES = Path(__file__).resolve().parent


def main() -> None:
    """Render the dashboard: the page set-up, then the page the visitor is on (Streamlit runs this on every rerun)."""
    st.set_page_config(page_title="framing: how each source frames the story", page_icon=":material/newspaper:",
                       layout="wide")
    keep_choices()
    navigation = st.navigation([
        st.Page(PAGES / "compare_page.py", title="Compare", icon=":material/balance:", url_path="compare", default=True),
        st.Page(PAGES / "claims_page.py", title="Claims", icon=":material/compare_arrows:", url_path="claims"),
        st.Page(PAGES / "explore_page.py", title="Explore", icon=":material/search:", url_path="explore"),
        st.Page(PAGES / "try_page.py", title="Try it", icon=":material/edit_note:", url_path="try"),
        st.Page(PAGES / "data_page.py", title="Your data", icon=":material/upload_file:", url_path="data"),
        st.Page(PAGES / "label_page.py", title="Label & retrain", icon=":material/label:", url_path="label"),
        st.Page(PAGES / "model_page.py", title="Model", icon=":material/model_training:", url_path="model"),
    ])
    navigation.run()


if __name__ == "__main__":  # `streamlit run` runs this file as the main script
    main()
