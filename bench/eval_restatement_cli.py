"""End-to-end check of the restatement defaults: labelled pairs through ``dedupe scan``, as a user runs it.

Each pair of the held-out 20% of the MRPC training split (the part ``bench/fit_restatement.py`` never fits
on; ``../shared/corpora/mrpc/``, never copied into the repository) becomes one article of a JSON-lines
export: the two sentences as two paragraphs (``--layout paragraphs``, the default) or run together in one
(``--layout inline``).  The export is scanned by the installed ``dedupe`` command with the default settings
and every kind but ``archive-match``; a pair is *linked* when a finding has members in both sentences of
its article (a restatement, or a near-copy finding: repeated sentence or quote).  Precision and recall of
"linked" against the human labels are what the issue's acceptance test asks for (>= 0.85 at >= 0.60).

    python bench/eval_restatement_cli.py [--layout paragraphs|inline] [--split holdout|train]

Writes ``reports/eval_restatement_cli.json`` and prints the figures, by kind of finding.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_restatement as fit  # noqa: E402
from common import REPO, REPORTS, machine_facts  # noqa: E402

from dedupe.atomic import write_atomic  # noqa: E402

KINDS = "repeated-sentence,repeated-quote,cross-article,restatement"


def evaluate(layout: str, which: str) -> dict:
    a, b, y = fit.read_mrpc(fit.MRPC)
    hold, train = fit.split(len(y))
    rows = hold if which == "holdout" else train
    sep = "\n\n" if layout == "paragraphs" else " "
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "pairs.jsonl"
        with export.open("w", encoding="utf-8") as fh:
            for i in rows:
                fh.write(json.dumps({"id": str(i), "text": a[i] + sep + b[i]}) + "\n")
        out = Path(tmp) / "out.json"
        cmd = [str(Path(sys.executable).parent / "dedupe"), "scan", str(export), "--kinds", KINDS,
               "--format", "json", "-o", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode not in (0, 1):
            sys.exit(f"dedupe scan failed ({proc.returncode}): {proc.stderr.strip()}")
        result = json.loads(out.read_text(encoding="utf-8"))
    linked: dict[int, set[str]] = {}
    for c in result["clusters"]:
        docs = {m["doc"].rsplit("#", 1)[-1] for m in c["members"]}
        if len(docs) == 1 and len(c["members"]) >= 2:
            linked.setdefault(int(docs.pop()), set()).add(c["kind"])
    pred = np.array([i in linked for i in rows])
    truth = y[rows] == 1
    tp = int((pred & truth).sum())
    by_kind: dict[str, dict[str, int]] = {}
    for i, kinds in linked.items():
        for k in kinds:
            d = by_kind.setdefault(k, {"pairs": 0, "paraphrases": 0})
            d["pairs"] += 1
            d["paraphrases"] += int(y[i] == 1)
    units = result["summary"]["units"]
    return {
        "split": which, "layout": layout, "pairs": len(rows), "paraphrases": int(truth.sum()),
        "linked": int(pred.sum()), "true_links": tp,
        "precision": round(tp / max(1, int(pred.sum())), 4), "recall": round(tp / max(1, int(truth.sum())), 4),
        "by_kind": by_kind, "units": units,
        "threshold": json.loads((REPO / "dedupe" / "data" / "restatement.json").read_text("utf-8"))["threshold"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layout", choices=["paragraphs", "inline", "both"], default="both")
    ap.add_argument("--split", choices=["holdout", "train"], default="holdout",
                    help="holdout: the 20%% never fitted on; train: the 80%% (in-sample for the score)")
    args = ap.parse_args()
    layouts = ["paragraphs", "inline"] if args.layout == "both" else [args.layout]
    runs = [evaluate(lay, args.split) for lay in layouts]
    for r in runs:
        print(f"{r['split']} {r['layout']}: precision {r['precision']:.3f} recall {r['recall']:.3f} "
              f"({r['true_links']} of {r['linked']} links true; {r['paraphrases']} paraphrases in {r['pairs']} pairs)")
        for k, d in sorted(r["by_kind"].items()):
            print(f"  {k}: {d['pairs']} pairs linked, {d['paraphrases']} of them paraphrases")
    report = {"runs": runs, "machine": machine_facts()}
    write_atomic(REPORTS / "eval_restatement_cli.json", json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
