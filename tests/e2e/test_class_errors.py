"""Errors on a class network, in a real browser: served beyond localhost, a failing page shows the
learner one plain message and no traceback, and the server's log (the teacher's terminal) has the
traceback; on localhost (`make run`) the traceback stays on the page, for fixing it.

The servers run with the options `make serve-class` passes (read from the Makefile with
``make -n``), with only ``--server.address 0.0.0.0`` (started by hand), and with none (as
`make run`). A page fails through the app's test-only hook: with RECSYS_LAB_ERROR_HOOK=1 in the
server's environment, ``?raise_error=1`` raises inside the page run (`app_pages/_ui/errors.py`).
"""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from app_pages._ui.errors import HOOK_ENV, HOOK_PARAMETER, MESSAGE
from tests.e2e.conftest import ROOT, streamlit_server, wait_idle

pytestmark = pytest.mark.e2e
HOOK = {HOOK_ENV: "1"}
RAISED = "raised on purpose"


def serve_class_options() -> list[str]:
    """What `make serve-class` passes to streamlit after the port."""
    dry_run = subprocess.run(["make", "-n", "-s", "serve-class", f"PY={sys.executable}", "PORT=PORT"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.replace("\\\n", " ")
    command = shlex.split(next(line for line in dry_run.splitlines() if "app_pages.serve" in line))
    options = command[command.index("app_pages.serve") + 1:]
    at = options.index("--server.port")
    return options[:at] + options[at + 2:]


def fail_a_page(page, url: str) -> None:
    page.goto(f"{url}/mf_basics?{HOOK_PARAMETER}=1")
    wait_idle(page)


def assert_plain_message_and_logged_traceback(page, log_path) -> None:
    expect(page.get_by_text(MESSAGE)).to_be_visible()
    shown = page.locator("[data-testid='stApp']").inner_text()
    for detail in ("Traceback", "RuntimeError", RAISED, ".py", "File "):
        assert detail not in shown, f"{detail!r} shown to the learner:\n{shown}"
    assert page.locator("[data-testid='stException']").count() == 0
    log = log_path.read_text()
    assert "Uncaught error on page '1 · Matrix factorization' (/mf_basics)" in log, log
    assert "Traceback (most recent call last)" in log and f"RuntimeError: {RAISED}" in log, log


def test_make_serve_class_shows_learners_a_plain_message_and_logs_the_traceback(page, tmp_path):
    options = serve_class_options()
    assert "--client.showErrorDetails" in options and "0.0.0.0" in options, options
    with streamlit_server(tmp_path, *options, env=HOOK, log_name="server-serve-class.log") as (url, log_path):
        fail_a_page(page, url)
        assert_plain_message_and_logged_traceback(page, log_path)
        page.goto(url + "/mf_basics")  # "try again": without the failure the page works
        wait_idle(page)
        expect(page.get_by_role("heading", name="Matrix factorization basics").first).to_be_visible()
        expect(page.get_by_text(MESSAGE)).to_have_count(0)
    # With the address to print given, Streamlit does not ask the internet for the public IP.
    assert "External URL" not in log_path.read_text() and "external IP" not in log_path.read_text()


def test_served_on_every_interface_by_hand_the_app_turns_error_details_off_itself(page, tmp_path):
    with streamlit_server(tmp_path, "--server.address", "0.0.0.0", env=HOOK,  # noqa: S104 - the README's class command
                          log_name="server-address-0.0.0.0.log") as (url, log_path):
        fail_a_page(page, url)
        assert_plain_message_and_logged_traceback(page, log_path)


def test_on_localhost_the_traceback_stays_on_the_page_for_fixing_it(page, tmp_path):
    with streamlit_server(tmp_path, env=HOOK, log_name="server-localhost.log") as (url, _):  # as `make run`
        fail_a_page(page, url)
        error = page.locator("[data-testid='stException']")
        expect(error).to_be_visible()
        expect(error).to_contain_text(RAISED)
        expect(page.get_by_text(MESSAGE)).to_have_count(0)
