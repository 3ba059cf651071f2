"""The model ladder on every built-in data set: held-out score of each rung, best first.

    .venv/bin/python benchmarks/compare_ladder.py [--quick]

Prints one table per data set and a summary (best rung vs the linear rung, wall time) and writes
benchmarks/results/compare_ladder.json. 5-fold CV (3 with --quick), seed 0, ``fast=True`` rungs
(fewer trees / iterations), errors-in-variables rung excluded (MCMC; see docs/bayes.md).
"""

import json
import sys
import time
import warnings
from pathlib import Path

from reglab.compare import compare
from reglab.data import DATASETS, load_dataset, prepare

SETS = {"line": None, "surface": None, "circle": None, "xor": None, "blobs": None,
        "spiral": None, "moons": None, "msigma": None, "globular": None, "diabetes": None,
        "breast_cancer": None, "iris": None, "wine": None, "scotland": None, "cpunish": None,
        "randhie": 2000, "spector": None, "fair": 2000}


def run(name: str, n: int | None, folds: int) -> dict:
    info = DATASETS[name]
    data = prepare(load_dataset(name, n_samples=n), info.target, task=info.task,
                   exclude=[*info.x_err, *([info.y_err] if info.y_err else [])])
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comp = compare(data, folds=folds, fast=True)
    board = comp.leaderboard
    linear = board[board["model"].isin(["linear", "logistic regression", "softmax regression"])]
    return {"dataset": name, "task": data.task, "rows": len(data.y), "metric": comp.primary,
            "best": board["model"].iloc[0], "best_score": float(board[comp.primary].iloc[0]),
            "linear_score": float(linear[comp.primary].iloc[0]) if len(linear) else None,
            "seconds": time.perf_counter() - t0,
            "failed": {r.name: r.skipped for r in comp.results if r.skipped},
            "leaderboard": board.drop(columns=["note"]).to_dict(orient="records")}


def main() -> None:
    folds = 3 if "--quick" in sys.argv else 5
    rows = []
    for name, n in SETS.items():
        r = run(name, n, folds)
        rows.append(r)
        lin = "n/a" if r["linear_score"] is None else f"{r['linear_score']:.4g}"
        print(f"{name:14s} {r['task']:10s} {r['rows']:5d}  {r['metric']:16s} best "
              f"{r['best']:32s} {r['best_score']:.4g}  linear {lin:>8s}  {r['seconds']:6.1f} s"
              + (f"  failed: {r['failed']}" if r["failed"] else ""), flush=True)
    out = Path(__file__).parent / "results" / "compare_ladder.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"folds": folds, "results": rows}, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
