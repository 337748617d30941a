"""A minimal Streamlit client that speaks the browser's websocket protocol, for load benchmarks.

A browser on a 2-core laptop costs more CPU than the server work it waits for, so a classroom
benchmark cannot run 30 of them beside the server. This client does only what the frontend
does on the wire (read from the installed Streamlit 1.67: ``web/server/starlette/
starlette_websocket.py``, ``runtime/app_session.py`` and the frontend bundle's
``sendRerunBackMsg``), so the time it measures is the server's:

- connect to ``ws://host:port/_stcore/stream`` with the subprotocol ``streamlit`` (the browser
  passes an XSRF token as the second entry; without an ``Origin`` header the server skips that
  check, as it does for any non-browser client);
- send one ``BackMsg.rerun_script`` (a ``ClientState``). On a first visit the browser does not
  know the pages' hashes yet, so it sends ``page_script_hash=""`` and ``page_name`` = the URL
  path below the base URL (``"mf_basics"``; ``""`` for the home page), ``query_string`` =
  ``location.search`` without the ``?``, no widget states, no cached message hashes (so the
  server sends every element in full, never a ``ref_hash``), and a ``ContextInfo``;
- read ``ForwardMsg``s: ``new_session`` starts a run, ``delta`` carries elements (a chart is
  ``delta.new_element.plotly_chart``, an error ``delta.new_element.exception``),
  ``script_finished`` ends a run (``FINISHED_EARLY_FOR_RERUN`` when ``st.rerun`` or a widget
  restarted it), ``session_status_changed.script_is_running`` says whether anything runs;
- ``auto_rerun`` (a fragment with ``run_every``) makes the browser send a rerun for that
  fragment every ``interval`` seconds (``is_auto_rerun``, the fragment id, its widget states)
  until ``stop_auto_rerun`` names it or a full run starts; this client does the same, with
  empty widget states: the server then keeps every widget's last value, which is what an
  untouched page would send.

The page is loaded when the session is idle: no run going and no message for ``quiet``
seconds. The quiet period is not counted: the figures are the times of the last
``script_finished`` and of the last chart delta before it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

# The subtitle of recsys_core.plots.training_curves ("Loss per epoch — ..."): it tells the
# training chart apart from the lesson's other figures. Override with --chart-match.
TRAINING_CHART_MARK = "per epoch"


@dataclass
class PageLoad:
    """What one client saw while a page loaded; times are seconds from the start of connect."""

    page: str
    query: str
    connected_s: float = float("nan")
    finished_s: float = float("nan")  # last script_finished before the session went idle
    chart_s: float = float("nan")  # last training-chart delta (any chart if none matched)
    runs: int = 0  # script_finished messages (full, fragment and early-for-rerun runs)
    auto_reruns_sent: int = 0
    charts: int = 0  # plotly_chart deltas, all figures
    training_charts: int = 0  # plotly_chart deltas whose spec contains the training-chart mark
    messages: int = 0
    bytes_received: int = 0
    exceptions: list[str] = field(default_factory=list)
    error: str | None = None  # connection failed or closed, timeout, page not found

    @property
    def ok(self) -> bool:
        return self.error is None and not self.exceptions and self.finished_s == self.finished_s

    @property
    def problems(self) -> list[str]:
        return ([self.error] if self.error else []) + self.exceptions


def rerun_message(page: str, query: str, url: str, *, page_script_hash: str = "",
                  fragment_id: str = "", auto: bool = False) -> bytes:
    """The ``BackMsg`` the frontend sends to run a page (a first visit: by name, not hash)."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_script_hash = page_script_hash
    state.page_name = "" if page_script_hash else page
    state.widget_states.SetInParent()  # present and empty, as the browser sends it
    if fragment_id:
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
    info = state.context_info
    info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
    info.url, info.is_embedded, info.color_scheme = url, False, "light"
    return msg.SerializeToString()


class _AutoReruns:
    """The browser's ``autoRerunIntervals``: one timer per ``run_every`` fragment."""

    def __init__(self, send) -> None:
        self._send = send
        self._timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self.sent = 0

    def start(self, fragment_id: str, interval: float) -> None:
        current = self._timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return  # the frontend ignores a repeat of the same interval
        self.stop(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send(fragment_id)
            self.sent += 1

    def stop(self, fragment_id: str) -> None:
        timer = self._timers.pop(fragment_id, None)
        if timer is not None:
            timer[1].cancel()

    def stop_all(self) -> None:
        for fragment_id in list(self._timers):
            self.stop(fragment_id)


async def load_page(
    base_url: str,
    page: str,
    query: str = "",
    *,
    quiet: float = 1.0,
    timeout: float = 120.0,
    chart_mark: str = TRAINING_CHART_MARK,
) -> PageLoad:
    """Open ``page`` (its URL path, ``""`` = home) with ``query`` and wait until the session is idle.

    ``base_url`` is ``http://host:port``. Never raises for a server-side failure: it is recorded
    in the result (``error``, ``exceptions``) so one broken learner does not stop the class.
    """
    result = PageLoad(page, query)
    ws_url = base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
    page_url = f"{base_url}/{page}" + (f"?{query}" if query else "")
    started = time.perf_counter()
    elapsed = lambda: time.perf_counter() - started  # noqa: E731 - a clock, read often
    last_any_chart = last_training_chart = float("nan")
    page_hash = ""
    running = False  # between new_session and script_finished / session_status_changed(false)
    seen_run = False
    last_message = 0.0
    try:
        async with asyncio.timeout(timeout):
            # proxy=None: an HTTP(S)_PROXY in the environment must not sit between us and localhost.
            # compression as a browser negotiates it (permessage-deflate): deflating is server work.
            async with connect(ws_url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                               proxy=None, open_timeout=timeout, compression="deflate") as ws:
                result.connected_s = elapsed()

                async def send_fragment_rerun(fragment_id: str) -> None:
                    await ws.send(rerun_message(page, query, page_url, page_script_hash=page_hash,
                                                fragment_id=fragment_id, auto=True))

                timers = _AutoReruns(send_fragment_rerun)
                try:
                    await ws.send(rerun_message(page, query, page_url))
                    while True:
                        wait = None
                        if seen_run and not running:
                            wait = quiet - (elapsed() - last_message)
                            if wait <= 0:
                                break
                        try:
                            raw = await _recv(ws, wait)
                        except TimeoutError:
                            break  # quiet for the whole period: idle
                        last_message = elapsed()
                        result.messages += 1
                        result.bytes_received += len(raw)
                        msg = ForwardMsg()
                        msg.ParseFromString(raw)
                        kind = msg.WhichOneof("type")
                        if kind == "new_session":
                            running, seen_run = True, True
                            page_hash = msg.new_session.page_script_hash or page_hash
                            if not msg.metadata.run.fragment_ids:
                                timers.stop_all()  # the frontend's cleanupAutoReruns on a full run
                        elif kind == "delta":
                            element = msg.delta.new_element if msg.delta.HasField("new_element") else None
                            if element is None:
                                continue
                            which = element.WhichOneof("type")
                            if which == "plotly_chart":
                                result.charts += 1
                                last_any_chart = last_message
                                if chart_mark and chart_mark in element.plotly_chart.spec:
                                    result.training_charts += 1
                                    last_training_chart = last_message
                            elif which == "exception":
                                e = element.exception
                                result.exceptions.append(f"{e.type}: {e.message}"[:300])
                        elif kind == "script_finished":
                            result.runs += 1
                            if msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                                running = False
                                result.finished_s = last_message
                            if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                                result.exceptions.append("script finished with a compile error")
                        elif kind == "session_status_changed":
                            running = msg.session_status_changed.script_is_running
                            seen_run = seen_run or running
                        elif kind == "session_event":
                            if msg.session_event.HasField("script_compilation_exception"):
                                e = msg.session_event.script_compilation_exception
                                result.exceptions.append(f"{e.type}: {e.message}"[:300])
                        elif kind == "page_not_found":
                            result.error = f"page not found: {msg.page_not_found.page_name!r}"
                        elif kind == "auto_rerun":
                            timers.start(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
                        elif kind == "stop_auto_rerun":
                            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                                timers.stop(fragment_id)
                finally:
                    timers.stop_all()
                    result.auto_reruns_sent = timers.sent
    except TimeoutError:
        state = "a run going" if running else "never quiet" if seen_run else "no run started"
        result.error = f"timeout after {timeout:g} s ({result.runs} runs finished, {state})"
    except (ConnectionClosed, WebSocketException, OSError) as exc:
        result.error = f"connection: {type(exc).__name__}: {exc}"[:300]
    result.chart_s = last_training_chart if result.training_charts else last_any_chart
    return result


async def _recv(ws: ClientConnection, wait: float | None) -> bytes:
    if wait is None:
        data = await ws.recv()
    else:
        async with asyncio.timeout(wait):
            data = await ws.recv()
    if isinstance(data, str):  # the server only sends binary protobufs
        raise WebSocketException(f"unexpected text frame: {data[:80]!r}")
    return data
