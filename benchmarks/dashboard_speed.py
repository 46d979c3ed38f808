"""How fast the dashboard's Compare page renders a large scored collection.

Builds a synthetic collection (passages recombined from sentences of the bundled
corpus, each keeping its source type, story and outlet, eight passages to an article,
dates spread over a year), scores it with `framing score`, then runs the dashboard
headless with Streamlit's AppTest, the data given as `framing dashboard --data` gives it:

- first render: the first run of a fresh app in this process, caches cold (reading the
  scored file, counting its words, comparing, drawing); Python imports are done beforehand,
  as they are in a running server;
- new session: another user opening the page once the data is cached;
- filter change: a different story, outlet, date range, frame or search each time, so the
  comparison is never served from its cache.

Prints the median of each, and its ratio to the target (first render < 3 s, filter change < 1 s).

    python benchmarks/dashboard_speed.py [--n 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from compare_speed import build


def timed(run) -> float:
    start = time.perf_counter()
    at = run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from streamlit.testing.v1 import AppTest

    import framing.ui.common  # noqa: F401  (imports done, as in a running server)
    from framing.cli import main as cli
    from framing.config import PROJECT_ROOT

    work = Path(tempfile.mkdtemp(prefix="framing-dashboard-"))
    try:
        build(args.n, work / "collection.csv")
        table = pd.read_csv(work / "collection.csv")
        rng = np.random.default_rng(0)
        table["article"] = [f"article-{i // 8}" for i in range(len(table))]
        table["date"] = (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 365, len(table)), unit="D")).strftime("%Y-%m-%d")
        table.to_csv(work / "collection.csv", index=False)
        cli(["score", str(work / "collection.csv"), "-o", str(work / "scored.parquet"), "-q"])
        os.environ["FRAMING_DASHBOARD_DATA"] = str(work / "scored.parquet")
        print(f"{len(table):,} scored passages, {table['story'].nunique()} stories, {table['outlet'].nunique()} outlets, "
              f"{table['article'].nunique():,} articles\n")

        app = lambda: AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300)  # noqa: E731
        first = timed(lambda: app().run())
        sessions = [timed(lambda: app().run()) for _ in range(args.repeats)]

        at = app().run()
        stories = sorted(table["story"].unique())
        outlets = sorted(table["outlet"].unique())
        changes = []
        for i in range(args.repeats):
            steps = [
                lambda: at.multiselect(key="stories").set_value(stories[i : i + 3]).run(),
                lambda: at.multiselect(key="outlets").set_value(outlets[i : i + 4]).run(),
                lambda: at.date_input(key="dates").set_value((date(2025, 1 + i, 1), date(2025, 6 + i, 28))).run(),
                lambda: at.multiselect(key="labels").set_value([["hype"], ["routine"], ["neutral"], ["hype", "routine"], ["routine", "neutral"]][i % 5]).run(),
                lambda: at.text_input(key="search").input(["alliance", "plan", "minister", "exercise", "historic"][i % 5]).run(),
            ]
            for step in steps:
                changes.append(timed(step))
            for key in ("stories", "outlets", "labels"):
                at.multiselect(key=key).set_value([])
            at.text_input(key="search").input("")
            at.run()
        first_ratio, change = first / 3.0, statistics.median(changes)
        print(f"{'first render (cold caches)':<36} {first:6.2f} s   ratio to the 3 s target {first_ratio:.2f}")
        print(f"{'new session (data cached), median':<36} {statistics.median(sessions):6.2f} s   ratio to 3 s {statistics.median(sessions) / 3:.2f}")
        print(f"{'filter change, median of ' + str(len(changes)):<36} {change:6.2f} s   ratio to the 1 s target {change:.2f}")
        print(f"{'filter change, slowest':<36} {max(changes):6.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
