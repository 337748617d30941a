"""RecSys Lab entry point: page config, navigation, the shared sidebar, then the chosen page.

Kept short on purpose: the logic lives in `recsys_core` (tested without Streamlit) and the
layout in `app_pages/`, one file per page. The page icon is served from `assets/`: a Material
icon name there would make the browser fetch the favicon from a font server on the internet.
Served beyond localhost, a failing page shows learners a plain message, never a traceback
(`app_pages/_ui/errors.py`).
"""

import streamlit as st

from app_pages import _ui as ui
from app_pages._ui import data, errors, progress

st.set_page_config(page_title="RecSys Lab", page_icon=str(data.ASSETS / "icon.png"), layout="wide")
errors.configure()  # served beyond localhost (a class network): no tracebacks in the browser
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
        st.Page("app_pages/playground.py", title="Playground: compare models", icon=":material/compare_arrows:",
                url_path="playground"),
        st.Page("app_pages/rate_items.py", title="Rate items yourself", icon=":material/star:", url_path="rate_items"),
        st.Page("app_pages/progress.py", title="Progress and quiz scores", icon=":material/insights:",
                url_path="progress"),
        st.Page("app_pages/teacher.py", title="Teacher view", icon=":material/school:", url_path="teacher"),
    ],
}
page = st.navigation(pages)
# A teacher opening their class's Teacher page is not a learner of it: only learners join the class.
progress.identify(join_class=page.url_path != "teacher")
with errors.plain_message(page):  # beyond localhost: the traceback to the server log, a plain message here
    errors.raise_if_asked()  # a test-only hook, inert unless the server runs with RECSYS_LAB_ERROR_HOOK=1
    ui.sidebar()
    page.run()
