"""Benchmark: the review UI on the Reuters corpus (issue 5, "Scale").

Drives `dedupe review` headless with Textual's Pilot at 120x36 over the
Reuters stories written as .txt files (bench/.cache, git-ignored) and
measures, from the key being sent to the first frame painted with the
result:

  * opening (full scan in the worker thread) until the list is shown;
  * cursor moves (down / j / page down, 200 keys): detail redraw time and
    key -> frame with the new detail (target: under 50 ms);
  * a kind filter key and the last keystroke of a text filter;
  * re-clustering after `+` and `-`.

Writes reports/bench_review.md and .json.

    python bench/bench_review.py [--stories N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPORTS, machine_facts, write_txt_corpus


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def stats_ms(xs):
    return {"median": round(statistics.median(xs) * 1000, 1), "p95": round(pct(xs, 0.95) * 1000, 1),
            "max": round(max(xs) * 1000, 1)}


async def settle(app, pilot):
    for _ in range(5000):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.scanning:
            return
    raise AssertionError("scan did not finish")


async def run(corpus: Path) -> dict:
    from dedupe.check.baseline import Baseline
    from dedupe.config import Settings
    from dedupe.tui.app import DedupeReviewApp

    bpath = os.path.join(tempfile.mkdtemp(), "baseline.json")
    app = DedupeReviewApp([str(corpus)], Settings(), baseline=Baseline.load(bpath), baseline_path=bpath,
                          watch=False)
    out: dict = {}
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        out["open_s"] = round(time.perf_counter() - t0, 2)
        out["clusters"] = len(app.model.clusters)
        out["rows"] = len(app.rows)

        frames: list[float] = []
        original_display = app._display

        def display(screen, renderable):
            if renderable is not None:
                renderable.render_segments(app.console)  # what a terminal driver does with the frame
                frames.append(time.perf_counter())
            return original_display(screen, renderable)

        app._display = display
        shown: list[float] = []
        original_show = app.show_cluster

        def show(c):
            original_show(c)
            shown.append(time.perf_counter())

        app.show_cluster = show

        async def press(key: str) -> float:
            """Key sent -> first frame painted after the detail was rebuilt."""
            frames.clear()
            shown.clear()
            t = time.perf_counter()
            await pilot.press(key)
            after = [f for f in frames if shown and f >= shown[-1]]
            return (after[0] if after else (frames[-1] if frames else time.perf_counter())) - t

        kinds = [await press("f") for _ in range(5)]
        out["kind_filter_key_ms_median"] = round(statistics.median(kinds) * 1000, 1)

        moves, redraw = [], []
        for i in range(200):
            key = "down" if (i // 50) % 2 == 0 else ("pagedown" if i % 7 == 0 else "j")
            moves.append(await press(key))
            redraw.append(app.last_redraw_ms / 1000)
        out["detail_redraw_ms"] = stats_ms(redraw)
        out["key_to_detail_frame_ms"] = stats_ms(moves)

        await pilot.press("slash")
        for ch in "oi":
            await pilot.press(ch)
        await pilot.pause(0.1)
        t = time.perf_counter()
        await pilot.press("l")
        for _ in range(500):
            if app.model.text_filter == "oil" and frames:
                break
            await pilot.pause(0.005)
        out["filter_last_key_ms"] = round((time.perf_counter() - t) * 1000, 1)
        out["filter_rows"] = len(app.rows)
        await pilot.press("escape")

        for key in ("plus", "minus"):
            t = time.perf_counter()
            await pilot.press(key)
            await settle(app, pilot)
            out[f"recluster_{key}_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stories", type=int, default=None, help="only the first N stories")
    args = ap.parse_args()
    corpus = write_txt_corpus(args.stories)
    os.chdir(corpus.parent)
    res = asyncio.run(run(corpus))
    res["stories"] = sum(1 for _ in corpus.glob("*.txt"))
    res["machine"] = machine_facts()
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_review.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    km = res["key_to_detail_frame_ms"]
    md = f"""# Benchmark: `dedupe review` on Reuters-21578

{res['stories']} stories as `.txt` files, {res['clusters']} clusters shown as {res['rows']} rows (whole-article
duplicates folded), driven headless with Textual's Pilot at 120x36. Times run from sending the key to the first
frame painted with the result (the frame is rendered to segments, as a terminal driver would).

| what | figure | target |
|---|---|---|
| open: full scan in the worker thread, list shown | {res['open_s']} s | UI responsive meanwhile |
| cursor move (200 keys): detail rebuilt | median {res['detail_redraw_ms']['median']} ms, p95 {res['detail_redraw_ms']['p95']} ms, max {res['detail_redraw_ms']['max']} ms | |
| cursor move: key -> frame with the new detail | median {km['median']} ms, p95 {km['p95']} ms, max {km['max']} ms | < 50 ms |
| kind filter key (`f`) -> frame | median {res['kind_filter_key_ms_median']} ms | |
| last keystroke of a text filter -> filtered list ({res['filter_rows']} rows) | {res['filter_last_key_ms']} ms | |
| re-cluster after `+` / `-` (matching and clustering again, no re-reading) | {res['recluster_plus_s']} s / {res['recluster_minus_s']} s | |

Machine: {res['machine'].get('nproc')} CPUs, Python {res['machine'].get('python')}; {res['machine'].get('date')}.
Re-run: `python bench/bench_review.py`.
"""
    (REPORTS / "bench_review.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
