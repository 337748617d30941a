"""Serve the app the way `make run` does: libraries loaded and lesson programs compiled first.

``python -m streamlit run app.py`` imports JAX, optax and the lessons only when the first learner
opens a page, and compiles each lesson's programs when its first learner trains: a first visit
after a server start waited seconds for work that is the same for everybody. This launcher imports
them in the server's own process before it starts serving (Streamlit runs every session's script
in this process, so the modules and their compiled programs are shared), then compiles each
lesson's default programs in a background thread at low priority while the server already
answers (``recsys_core.lessons.warmup``). Arguments go to ``streamlit run``:

    python -m app_pages.serve --server.port 8501
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _warm(learning_rates: tuple[float, ...]) -> None:
    """Compile the lessons' programs; a learner's training goes first (this thread is niced).

    Only `recsys_core` is used here, never the pages' glue: Streamlit's caches must be created
    inside the server's runtime, by the pages themselves.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: warm up at normal priority
        pass
    from recsys_core.lessons.warmup import warm_up

    started = time.perf_counter()
    try:
        seconds = warm_up(learning_rates)
    except Exception as error:  # a failed warm-up only means the first learner compiles
        print(f"RecSys Lab: warm-up failed ({error!r}); lessons compile on first use.", file=sys.stderr)
        return
    gc.freeze()  # the compiled programs and their caches live as long as the server
    detail = ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items())
    print(f"RecSys Lab: lesson programs ready in {time.perf_counter() - started:.1f} s ({detail}).", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    from recsys_core.training.device import use_compilation_cache

    use_compilation_cache(str(ROOT / ".jax_cache"))
    import pandas  # noqa: F401 - loaded once here rather than during a learner's first page
    import plotly.graph_objects  # noqa: F401

    from recsys_core.lessons.defaults import OFFERED_LEARNING_RATES  # as the pages pass them

    # Python's full garbage collection stops every session's script while it walks every object;
    # with JAX, Plotly and pandas loaded a class of 30 made those pauses grow to 178 ms (7 of them,
    # 0.75 s, in one bench run). What is loaded now (and what the warm-up builds) lives as long as
    # the server, so it is frozen out of those walks: 6-7 pauses of at most 60-84 ms, 0.2-0.3 s.
    gc.freeze()
    threading.Thread(target=_warm, args=(OFFERED_LEARNING_RATES,), name="recsys-warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *(sys.argv[1:] if argv is None else argv)]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
