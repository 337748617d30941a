"""Classroom load benchmark: N learners open a lesson at once on one Streamlit server.

    python -m bench.classroom [--lessons mf_basics,overfitting] [--learners 1,10,30]
                              [--pace fast|watch|none] [--fresh-server] [--json PATH]
                              [--timeout 120] [--quiet 1.0] [--chromium N]

Why it exists: a teacher runs the app on a 2-core laptop and a class of 30 opens it. What the
class feels is how long the server takes to run each learner's lesson script, and that is what
this measures. Real browsers cannot be used for it: thirty Chromium sessions on the same two
cores eat the CPU themselves (DESIGN §7: 155 s), so the figure would be the browsers'. Instead
each simulated learner speaks Streamlit's own websocket protocol (``bench/_st_client.py``: the
``BackMsg``/``ForwardMsg`` protobufs that ship in the streamlit package), asks for its lesson
page by URL path with its own data seed (``?seed=<n>``, plus ``&pace=`` when given), and waits
until the server has finished the run and gone quiet. Only the server's work is timed; no page
is rendered.

Per scenario (lesson x N learners) it prints:
- time to the trained chart, median/p95/max over learners: from connect to the end of the last
  script run (``script_finished``) before the session went idle, following ``st.rerun`` and
  ``run_every`` fragments; and to the last delta of the training chart (a ``plotly_chart``
  whose spec holds ``--chart-match``). The quiet period that proves idleness is not counted.
- exceptions: exception elements in any delta, compile errors, failed or closed connections,
  timeouts, page not found;
- server CPU seconds per learner (``/proc/<pid>/stat`` utime+stime of the server process over
  the scenario, less the idle-page probe's loads at their cost measured alone, divided by N);
- an idle page's load time while the class works: one extra client loads the home page
  (URL path ``""``) again and again during the scenario (median, max, count);
- the machine's load average before and after, and how many cores other processes kept busy
  meanwhile (all cores' busy time from /proc/stat less the server's and this process's), since
  the cores are shared and a figure measured beside someone's test run is not the app's alone.

p95 is the linearly interpolated 95th percentile (numpy's default; at N=10 it lies between the
9th and the 10th time). By default one server serves every scenario and each lesson is visited
once before it is measured (compiled programs in memory: the warm case a class meets after the
teacher has tried the lesson). ``--fresh-server`` starts a new server per scenario instead and
skips the warm-up: first-visit costs. JAX's persistent compilation cache (``.jax_cache`` in the
checkout) is left as it is in both modes, as a teacher's laptop would have it; the output says
how many entries it held. Every learner of every scenario gets a seed no other learner used, so
the data caches are cold for each, as for a class whose members each pick their own seed;
``--same-seed S`` gives them all ``?seed=S`` instead, as a teacher's shared link does.

``--chromium N`` adds a cross-check per lesson: N real Chromium sessions (Playwright, Debian's
``/usr/bin/chromium``, one browser process each, started before the clock) open the lesson at
once; each reports, from navigation start, the last change of the app's
``data-test-script-state`` to ``notRunning`` that stayed so through a settle period (as in
``tests/e2e/conftest.py`` ``wait_idle``, and with no element still waiting for its lazily
loaded code), the last change in the number of drawn Plotly charts, and when the first run
started (page, JS and websocket set-up come first). Keep N small (3): that is the point of
this tool.

Not a test and not part of the unit suite: absolute seconds depend on what else the shared
machine is doing, so compare figures measured in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench._st_client import TRAINING_CHART_MARK, PageLoad, load_page

ROOT = Path(__file__).resolve().parents[1]  # the checkout this file is in: its app.py is served
LESSONS = ("mf_basics", "collaborative_filtering", "engagement", "overfitting")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MAX_SEED = 9999  # the sidebar's "Data seed" number_input
WARMUP_SEED = 9000  # warm-up visits use seeds from here up, measured learners start at 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_ALONE_LOADS = 5


# --- the server --------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# No proxy for localhost, whatever HTTP(S)_PROXY the environment sets.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


READY_MARK = "lesson programs ready"  # what app_pages/serve.py logs when its warm-up is done


class Server:
    """The app from this checkout on a free loopback port, started as a teacher starts it.

    ``launcher="serve"`` is what ``make run`` runs (``python -m app_pages.serve``: libraries loaded
    and lesson programs compiled in the background at start); ``"streamlit"`` is the bare
    ``streamlit run app.py``. ``wait_ready`` also waits for the warm-up to finish, as a class
    that arrives a little after the teacher started the server meets it (``ready_seconds``).
    """

    def __init__(self, root: Path = ROOT, ready_timeout: float = 120.0, launcher: str = "serve",
                 wait_ready: bool = False) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.gettempdir()) / f"classroom-server-{self.port}.log"
        jax_cache = root / ".jax_cache"
        self.jax_cache_entries = sum(1 for _ in jax_cache.iterdir()) if jax_cache.is_dir() else 0
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        command = ["-m", "app_pages.serve"] if launcher == "serve" else ["-m", "streamlit", "run", "app.py"]
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, *command, "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=root, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait_healthy(ready_timeout)
        self.healthy_seconds = time.monotonic() - started
        self.ready_seconds = math.nan
        if wait_ready and launcher == "serve":
            deadline = started + ready_timeout
            while time.monotonic() < deadline and READY_MARK not in self.log_path.read_text(errors="replace"):
                time.sleep(0.2)
            self.ready_seconds = time.monotonic() - started

    def _wait_healthy(self, ready_timeout: float) -> None:
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with _LOCAL.open(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit was not healthy within {ready_timeout:g} s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        """utime + stime of the server process so far (fields 14 and 15 of /proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def log_size(self) -> int:
        self._log.flush()
        return self.log_path.stat().st_size

    def tracebacks_since(self, offset: int) -> int:
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            return log.read().count("Traceback (most recent call last)")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot: user, nice, system, irq, softirq in /proc/stat.

    Not idle or iowait; not steal either (the hypervisor's, no process here ran then).
    """
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS


# --- one scenario ------------------------------------------------------------------------------

@dataclass
class Scenario:
    lesson: str
    learners: int
    client: str  # "websocket" or "chromium"
    pace: str
    fresh_server: bool
    jax_cache_entries: int
    seeds: list[int]
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    bench_cpu_s: float = 0.0  # this process (the simulated learners), competing for the same cores
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    machine_cpu_s: float = 0.0  # busy CPU seconds of the whole machine over the scenario
    server_tracebacks: int = 0
    loads: list[dict[str, Any]] = field(default_factory=list)
    idle_loads_s: list[float] = field(default_factory=list)
    idle_errors: list[str] = field(default_factory=list)
    idle_alone_s: list[float] = field(default_factory=list)  # the idle page with no class working
    idle_cpu_per_load_s: float = 0.0  # server CPU of one idle-page load, measured alone

    @property
    def errors(self) -> list[str]:
        return [problem for load in self.loads for problem in load["problems"]]

    @property
    def others_cores(self) -> float:
        """Cores kept busy meanwhile by neither the server nor this process (other people, browsers)."""
        return max(0.0, self.machine_cpu_s - self.server_cpu_s - self.bench_cpu_s) / max(self.wall_s, 1e-9)

    @property
    def idle_probe_cpu_s(self) -> float:
        return self.idle_cpu_per_load_s * (len(self.idle_loads_s) + len(self.idle_errors))

    def summary(self) -> dict[str, Any]:
        finished = [x["finished_s"] for x in self.loads if _finite(x["finished_s"])]
        charts = [x["chart_s"] for x in self.loads if _finite(x["chart_s"])]
        return {
            "finished": _stats(finished),
            "chart": _stats(charts),
            # Chromium only: when the first run started (after the page, its JS and the websocket).
            "first_running": _stats([x["first_running_s"] for x in self.loads if "first_running_s" in x]),
            "idle": _stats(self.idle_loads_s),
            "idle_alone": _stats(self.idle_alone_s),
            "errors": len(self.errors),
            "idle_errors": len(self.idle_errors),
            "failed_learners": sum(1 for x in self.loads if x["problems"]),
            "no_training_chart": sum(1 for x in self.loads if not x.get("training_charts")),
            # The idle probe's loads ran on the same server: take their measured cost out.
            "idle_probe_cpu_s": self.idle_probe_cpu_s,
            "others_cores": self.others_cores,
            "server_cpu_per_learner_s": (self.server_cpu_s - self.idle_probe_cpu_s) / self.learners,
        }

    def line(self) -> str:
        s = self.summary()
        f, c, i = s["finished"], s["chart"], s["idle"]
        mode = "fresh" if self.fresh_server else "warm"
        parts = [
            f"{self.lesson:<23} N={self.learners:<2} {self.client:<9} pace={self.pace:<5} {mode:<5}",
            f"finished med {f['median']:5.2f} p95 {f['p95']:5.2f} max {f['max']:5.2f} s",
            f"chart med {c['median']:5.2f} p95 {c['p95']:5.2f} max {c['max']:5.2f} s" if c["n"] else "chart none",
            f"errors {s['errors']}" + (f" (no training chart: {s['no_training_chart']})" if s["no_training_chart"] else ""),
            f"server CPU {s['server_cpu_per_learner_s']:.2f} s/learner (bench {self.bench_cpu_s:.1f} s)",
            f"idle page med {i['median']:.2f} max {i['max']:.2f} s ({i['n']} loads"
            + (f", alone {s['idle_alone']['median']:.2f} s" if self.idle_alone_s else "")
            + (f", {len(self.idle_errors)} failed)" if self.idle_errors else ")"),
            f"load {self.load_before[0]:.1f}->{self.load_after[0]:.1f}, others used {self.others_cores:.1f} cores",
        ]
        if self.client == "chromium":
            parts.insert(3, f"first run started med {s['first_running']['median']:.2f} s")
        return " | ".join(parts)


def _finite(x: float) -> bool:
    return isinstance(x, float | int) and math.isfinite(x)


def _stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "median": math.nan, "p95": math.nan, "max": math.nan}
    ordered = sorted(values)
    # statistics' "inclusive" method is numpy's default linear interpolation.
    p95 = ordered[0] if len(ordered) == 1 else statistics.quantiles(ordered, n=20, method="inclusive")[18]
    return {"n": len(ordered), "median": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


TRAINING_TAB = "2 · Training trace"  # lessons open on their pipeline tab; a learner who trains opens this one


def _query(seed: int, pace: str, tab: str = TRAINING_TAB) -> str:
    """The learner's URL query: own data seed, the pace when given, the tab (URL-encoded)."""
    return (f"seed={seed}" + (f"&pace={pace}" if pace != "none" else "")
            + (f"&tab={urllib.parse.quote(tab)}" if tab else ""))


def _load_record(load: PageLoad, seed: int) -> dict[str, Any]:
    record = asdict(load)
    record["seed"] = seed
    record["problems"] = load.problems
    return record


async def _idle_probe(url: str, stop: asyncio.Event, interval: float, timeout: float,
                      times: list[float], errors: list[str]) -> None:
    """Load the home page again and again until ``stop``: what a learner who just arrives waits."""
    while not stop.is_set():
        load = await load_page(url, "", "", quiet=0.0, timeout=timeout)
        if load.ok:
            times.append(load.finished_s)
        else:
            errors.extend(load.problems)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass


async def measure_idle_alone(server: Server, scenario: Scenario, times: int, timeout: float) -> None:
    """The idle page with nothing else going on: its load time and its server CPU per load."""
    cpu0 = server.cpu_seconds()
    loads = [await load_page(server.url, "", "", quiet=0.0, timeout=timeout) for _ in range(times)]
    scenario.idle_cpu_per_load_s = (server.cpu_seconds() - cpu0) / times
    scenario.idle_alone_s = [x.finished_s for x in loads if x.ok]


async def run_websocket_scenario(server: Server, scenario: Scenario, args: argparse.Namespace) -> None:
    """All learners connect at once (or over ``--ramp`` seconds); the idle probe runs meanwhile."""

    async def learner(index: int, seed: int) -> PageLoad:
        if args.ramp:
            await asyncio.sleep(args.ramp * index / scenario.learners)
        return await load_page(server.url, scenario.lesson, _query(seed, scenario.pace, args.tab), quiet=args.quiet,
                               timeout=args.timeout, chart_mark=args.chart_match)

    stop = asyncio.Event()
    log_offset = server.log_size()
    scenario.load_before = os.getloadavg()
    cpu0, bench0, busy0, t0 = server.cpu_seconds(), time.process_time(), machine_busy_seconds(), time.perf_counter()
    probe = asyncio.create_task(_idle_probe(server.url, stop, args.idle_interval, args.timeout,
                                            scenario.idle_loads_s, scenario.idle_errors))
    loads = await asyncio.gather(*(learner(i, seed) for i, seed in enumerate(scenario.seeds)))
    stop.set()
    await probe
    scenario.wall_s = time.perf_counter() - t0
    scenario.server_cpu_s = server.cpu_seconds() - cpu0
    scenario.bench_cpu_s = time.process_time() - bench0
    scenario.machine_cpu_s = machine_busy_seconds() - busy0
    scenario.load_after = os.getloadavg()
    scenario.server_tracebacks = server.tracebacks_since(log_offset)
    scenario.loads = [_load_record(load, seed) for load, seed in zip(loads, scenario.seeds, strict=True)]


# --- the Chromium cross-check ------------------------------------------------------------------

# Logs every change of the page's state with its time since navigation start, in seconds:
# [t, script state, charts drawn, elements waiting for lazily loaded code, the first chart's drawn data
# (points per trace and its last y)]. Polling rather than waiting on a selector from Python, so that N
# pages are timed by their own clocks, not by the order in which this process gets round to asking them.
# Shared with bench/browser.py.
def page_log_js(interval_ms: int) -> str:
    return """
window.__benchLog = [];
(() => {
  let last = "";
  setInterval(() => {
    const app = document.querySelector("[data-testid='stApp']");
    const state = app ? app.getAttribute("data-test-script-state") : null;
    const charts = document.querySelectorAll(".js-plotly-plot");
    const first = charts.length && charts[0].data ? charts[0].data : null;
    const data = first ? first.map(t => (t.x || []).length).join(",") + "/" + String(first[0]?.y?.slice(-1)) : "";
    const waiting = document.querySelectorAll("[data-testid='stSkeleton']").length;
    const key = `${state}/${charts.length}/${waiting}/${data}`;
    if (key !== last) { window.__benchLog.push([performance.now() / 1000, state, charts.length, waiting, data]); last = key; }
  }, INTERVAL);
})();
""".replace("INTERVAL", str(interval_ms))


def settled_log(page, since: float, settle: float, deadline: float) -> list:
    """The page's log from ``since`` (seconds, the page's clock) once it has settled: it ran at least
    once since then, is not running, no element still waits for its lazily loaded code (Streamlit's
    Suspense fallback, stSkeleton: Plotly's code comes after the run, so "notRunning" alone is not
    the chart), and nothing changed for ``settle`` seconds. ``deadline`` is a ``time.monotonic()``."""
    while time.monotonic() < deadline:
        page.wait_for_timeout(settle * 1000)
        log = [entry for entry in page.evaluate("window.__benchLog") if entry[0] >= since]
        now = page.evaluate("performance.now()") / 1000
        if log and log[-1][1] == "notRunning" and not log[-1][3] and now - log[-1][0] >= settle \
                and any(state == "running" for _, state, *_ in log):
            return log
    raise TimeoutError("the page did not settle")


def _browser_session(url: str, start: threading.Barrier, timeout: float, settle: float) -> dict[str, Any]:
    """One Chromium process, one page: open ``url`` when every browser is up, wait until settled."""
    from playwright.sync_api import sync_playwright

    record: dict[str, Any] = {"url": url, "finished_s": math.nan, "chart_s": math.nan, "problems": []}
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            page.add_init_script(page_log_js(20))
        except Exception as exc:  # noqa: BLE001
            start.abort()  # the other browsers must not wait for this one forever
            record["problems"].append(f"browser did not start: {type(exc).__name__}: {exc}"[:300])
            return record
        try:
            start.wait()
            page.goto(url, wait_until="commit", timeout=timeout * 1000)
            try:
                log = settled_log(page, 0.0, settle, time.monotonic() + timeout)
            except TimeoutError:
                record["problems"].append(f"timeout after {timeout:g} s")
                log = page.evaluate("window.__benchLog")
            else:
                states = [(t, s) for (t, s, *_), prev in zip(log, [None, *log], strict=False)
                          if prev is None or s != prev[1]]
                record["finished_s"] = states[-1][0]
                # Page, JS and websocket set-up come before the first run: shown apart.
                record["first_running_s"] = next(t for t, s in states if s == "running")
                drawn = [(t, n) for (t, _, n, *_), prev in zip(log, [None, *log], strict=False)
                         if prev is None or n != prev[2]]
                if drawn[-1][1]:
                    record["chart_s"] = drawn[-1][0]  # the last chart drawn (or removed)
            record["log"] = log
            record["charts"] = record["training_charts"] = log[-1][2] if log else 0  # the DOM does not say which is which
            exceptions = page.locator("[data-testid='stException']")
            record["problems"] += [f"exception: {exceptions.nth(i).inner_text()[:300]}"
                                   for i in range(exceptions.count())]
        except Exception as exc:  # noqa: BLE001 - a broken browser session is a result, not a crash
            record["problems"].append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            browser.close()
    return record


async def run_chromium_scenario(server: Server, scenario: Scenario, args: argparse.Namespace) -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: `make chromium` installs Debian's chromium")
    loop = asyncio.get_running_loop()
    go = asyncio.Event()
    marks: dict[str, float] = {}

    def all_browsers_up() -> None:  # barrier action: start the clocks once every browser is up
        marks.update(cpu=server.cpu_seconds(), bench=time.process_time(), busy=machine_busy_seconds(),
                     t=time.perf_counter(),
                     log=server.log_size())
        scenario.load_before = os.getloadavg()
        loop.call_soon_threadsafe(go.set)

    barrier = threading.Barrier(scenario.learners, action=all_browsers_up)
    urls = [f"{server.url}/{scenario.lesson}?{_query(seed, scenario.pace, args.tab)}" for seed in scenario.seeds]
    sessions = asyncio.ensure_future(asyncio.gather(
        *(asyncio.to_thread(_browser_session, url, barrier, args.timeout, args.settle) for url in urls)))
    # Either every browser came up (the barrier's action set `go`) or one failed and all returned.
    started = asyncio.ensure_future(go.wait())
    await asyncio.wait([sessions, started], return_when=asyncio.FIRST_COMPLETED)
    if not go.is_set():
        started.cancel()
        all_browsers_up()
    stop = asyncio.Event()
    probe = asyncio.create_task(_idle_probe(server.url, stop, args.idle_interval, args.timeout,
                                            scenario.idle_loads_s, scenario.idle_errors))
    records = await sessions
    stop.set()
    await probe
    scenario.wall_s = time.perf_counter() - marks["t"]
    scenario.server_cpu_s = server.cpu_seconds() - marks["cpu"]
    scenario.bench_cpu_s = time.process_time() - marks["bench"]
    scenario.machine_cpu_s = machine_busy_seconds() - marks["busy"]
    scenario.load_after = os.getloadavg()
    scenario.server_tracebacks = server.tracebacks_since(int(marks["log"]))
    for record, seed in zip(records, scenario.seeds, strict=True):
        record["seed"] = seed
    scenario.loads = records


# --- the run -----------------------------------------------------------------------------------

class _Seeds:
    """Hands out data seeds no earlier learner used, so every learner's data caches are cold."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, n: int) -> list[int]:
        if self.next + n > WARMUP_SEED:
            self.next = 1  # thousands of learners: caches (12 entries) have long forgotten seed 1
        seeds = list(range(self.next, self.next + n))
        self.next += n
        return seeds


async def warm_up(server: Server, lessons: Sequence[str], args: argparse.Namespace) -> None:
    """Visit each lesson once, so the measured learners meet compiled programs (the warm case)."""
    for index, lesson in enumerate(lessons):
        load = await load_page(server.url, lesson, _query(WARMUP_SEED + index, args.pace, args.tab), quiet=args.quiet,
                               timeout=args.timeout, chart_mark=args.chart_match)
        state = "ok" if load.ok else "; ".join(load.problems)
        print(f"warm-up {lesson}: {load.finished_s:.2f} s ({state})", flush=True)


async def run(args: argparse.Namespace) -> list[Scenario]:
    plan: list[tuple[str, int, str]] = [(lesson, n, "websocket") for lesson in args.lessons for n in args.learners
                                        for _ in range(args.repeat)]
    if args.chromium:
        plan += [(lesson, args.chromium, "chromium") for lesson in args.lessons for _ in range(args.repeat)]
    seeds = _Seeds()
    results: list[Scenario] = []
    shared: Server | None = None
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, "
          f"serving {ROOT / 'app.py'}", flush=True)
    try:
        if not args.fresh_server:
            shared = Server(launcher=args.launcher, wait_ready=args.wait_ready)
            print(f"server {shared.url} via {args.launcher} (log {shared.log_path}, JAX cache "
                  f"{shared.jax_cache_entries} entries, healthy after {shared.healthy_seconds:.1f} s"
                  + (f", warmed up after {shared.ready_seconds:.1f} s" if args.wait_ready else "") + ")", flush=True)
            if not args.no_warmup:
                await warm_up(shared, args.lessons, args)
        for lesson, n, client in plan:
            server = shared or Server(launcher=args.launcher, wait_ready=args.wait_ready)
            if server is not shared:
                print(f"fresh server {server.url} via {args.launcher} (log {server.log_path}, JAX cache "
                      f"{server.jax_cache_entries} entries, healthy after {server.healthy_seconds:.1f} s"
                      + (f", warmed up after {server.ready_seconds:.1f} s" if args.wait_ready else "") + ")",
                      flush=True)
            try:
                scenario = Scenario(lesson, n, client, args.pace, args.fresh_server, server.jax_cache_entries,
                                    [args.same_seed] * n if args.same_seed is not None else seeds.take(n))
                # On a fresh server the class must be the first visit, so the idle page alone is
                # measured after it (it is only used for the probe's CPU share and for comparison).
                if shared is not None:
                    await measure_idle_alone(server, scenario, IDLE_ALONE_LOADS, args.timeout)
                if client == "chromium":
                    await run_chromium_scenario(server, scenario, args)
                else:
                    await run_websocket_scenario(server, scenario, args)
                if shared is None:
                    await measure_idle_alone(server, scenario, IDLE_ALONE_LOADS, args.timeout)
            finally:
                if server is not shared:
                    server.stop()
            results.append(scenario)
            print(scenario.line(), flush=True)
            for problem in sorted(set(scenario.errors + scenario.idle_errors))[:5]:
                print(f"    problem: {problem}", flush=True)
            if scenario.server_tracebacks:
                print(f"    server log: {scenario.server_tracebacks} traceback(s) in {server.log_path}", flush=True)
    finally:
        if shared is not None:
            shared.stop()
    return results


def _csv(kind: type, allowed: Sequence[str] | None = None):
    def parse(text: str) -> list:
        values = [kind(part.strip()) for part in text.split(",") if part.strip()]
        if allowed is not None:
            unknown = sorted(set(values) - set(allowed))
            if unknown:
                raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(allowed)}")
        return values
    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.classroom", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", type=_csv(str, LESSONS), default=["mf_basics"],
                        help=f"comma-separated lesson URL paths ({', '.join(LESSONS)}); default mf_basics")
    parser.add_argument("--learners", type=_csv(int), default=None,
                        help="comma-separated class sizes; default 1,10,30 (or none with --chromium)")
    parser.add_argument("--pace", choices=("fast", "watch", "none"), default="none",
                        help="adds &pace=... to every lesson URL; none (default) leaves it out")
    parser.add_argument("--fresh-server", action="store_true",
                        help="a new server per scenario, no warm-up: first-visit costs")
    parser.add_argument("--no-warmup", action="store_true", help="shared server: do not visit each lesson first")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every scenario and learner here")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per learner before it counts as failed")
    parser.add_argument("--quiet", type=float, default=1.0,
                        help="seconds without a message (and no run going) that mean the page is done")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="run each scenario K times in a row (new seeds each time): the spread is the noise")
    parser.add_argument("--same-seed", type=int, metavar="SEED",
                        help="every learner opens ?seed=SEED (a teacher's shared link) instead of its own seed")
    parser.add_argument("--launcher", choices=("serve", "streamlit"), default="serve",
                        help="serve: python -m app_pages.serve, as make run starts it; streamlit: bare streamlit run")
    parser.add_argument("--wait-ready", action="store_true",
                        help="with --launcher serve, start the class only once the server's warm-up is done")
    parser.add_argument("--tab", default=TRAINING_TAB,
                        help="the tab every learner opens (?tab=); empty for the lesson's first tab")
    parser.add_argument("--ramp", type=float, default=0.0, help="spread the learners' arrivals over this many seconds")
    parser.add_argument("--idle-interval", type=float, default=0.5, help="pause between two idle-page loads")
    parser.add_argument("--chart-match", default=TRAINING_CHART_MARK,
                        help="text in the training chart's plotly spec (default: %(default)r)")
    parser.add_argument("--chromium", type=int, default=0, metavar="N",
                        help="also open each lesson in N real Chromium sessions at once (keep it at 3)")
    parser.add_argument("--settle", type=float, default=0.6,
                        help="Chromium: seconds the page must stay notRunning to count as done")
    args = parser.parse_args(argv)
    if args.learners is None:
        args.learners = [] if args.chromium else [1, 10, 30]
    if any(n < 1 for n in args.learners) or args.chromium < 0:
        parser.error("class sizes must be positive")
    if args.chromium > 5:
        print("warning: more than a few browsers measure the browsers, not the server (DESIGN §7)", file=sys.stderr)
    return args


def _json_safe(value: Any) -> Any:
    """NaN (a learner that never finished) as null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    results = asyncio.run(run(args))
    if args.json:
        payload = {"argv": sys.argv[1:], "root": str(ROOT), "cores": os.cpu_count(),
                   "scenarios": [asdict(s) | {"summary": s.summary()} for s in results]}
        args.json.write_text(json.dumps(_json_safe(payload), indent=1, default=str))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
