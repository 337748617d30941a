"""RecSys Lab entry point: page config, navigation, the shared sidebar, then the chosen page.

Kept short on purpose: the logic lives in `recsys_core` (tested without Streamlit) and the
layout in `app_pages/`, one file per page.
"""

import streamlit as st

from app_pages import _ui as ui

st.set_page_config(page_title="RecSys Lab", page_icon=":material/recommend:", layout="wide")
ui.configure_jax()

pages = {
    "Start": [
        st.Page("app_pages/home.py", title="Welcome", icon=":material/home:", default=True),
    ],
    "Lessons": [
        st.Page(lesson.page, title=lesson.nav_title, icon=lesson.icon, url_path=lesson.id)
        for lesson in ui.LESSONS
    ],
    "Lab": [
        st.Page("app_pages/your_data.py", title="Your data", icon=":material/upload_file:", url_path="your_data"),
        st.Page("app_pages/playground.py", title="Playground: compare models", icon=":material/compare_arrows:", url_path="playground"),
        st.Page("app_pages/rate_items.py", title="Rate items yourself", icon=":material/star:", url_path="rate_items"),
        st.Page("app_pages/progress.py", title="Progress and quiz scores", icon=":material/insights:",
                url_path="progress"),
    ],
}
page = st.navigation(pages)
ui.sidebar()
page.run()
