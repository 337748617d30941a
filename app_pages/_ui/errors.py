"""What a learner sees when a page fails, and where the details go.

On the teacher's own computer (`make run` serves on localhost) a failing page shows Streamlit's
full traceback: that is how a page gets fixed. Served to a class network (`make serve-class`, or
any ``--server.address`` that is not this computer's loopback) a traceback is no use to a learner
and shows code and paths of the teacher's computer to the room, so error details are switched off,
the traceback is logged on the server (the teacher's terminal) and the learner reads one plain
sentence instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

MESSAGE = "Something went wrong on this page; the teacher's terminal has the details. Try again or reload."
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
SHOWN = {"full", "stacktrace", "type", True, "true", "True"}  # every value that shows more than a generic message
# A test-only hook: with RECSYS_LAB_ERROR_HOOK=1 in the server's environment, ?raise_error=1 makes
# the page raise, so a test can check what a failing page shows and logs. Without it, nothing.
HOOK_ENV, HOOK_PARAMETER = "RECSYS_LAB_ERROR_HOOK", "raise_error"

log = logging.getLogger("recsys_lab")
if not log.handlers:  # Streamlit configures its own loggers only; give ours a handler on stderr
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def served_beyond_localhost() -> bool:
    """True unless the server listens on loopback only (no address means every interface)."""
    address = str(st.get_option("server.address") or "").strip("[]")
    return not (address in LOOPBACK or address.startswith("127."))


def details_shown() -> bool:
    return st.get_option("client.showErrorDetails") in SHOWN


def configure() -> None:
    """Beyond localhost, error details are off whatever the configuration says (Streamlit's own
    messages, for a failing callback or fragment, then say only that an error happened)."""
    if served_beyond_localhost() and details_shown():
        st.set_option("client.showErrorDetails", "none")


@contextmanager
def plain_message(page: StreamlitPage) -> Iterator[None]:
    """Run a page: with details off, an uncaught error is logged with its traceback and the
    learner gets `MESSAGE`; with details on (localhost), Streamlit shows the traceback itself."""
    try:
        yield
    except Exception:
        if details_shown():
            raise
        log.exception("Uncaught error on page %r (/%s); the learner saw a plain message", page.title, page.url_path)
        st.error(MESSAGE, icon=":material/error:")


def raise_if_asked() -> None:
    """The test-only hook (see `HOOK_ENV`): raise where a page's own error would."""
    if os.environ.get(HOOK_ENV) == "1" and st.query_params.get(HOOK_PARAMETER) == "1":
        raise RuntimeError(f"raised on purpose by ?{HOOK_PARAMETER}=1 ({HOOK_ENV} is set)")
