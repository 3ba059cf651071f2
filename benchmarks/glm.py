"""GLM speed against statsmodels, scikit-learn and glum, with coefficient agreement.

Cases (the issue's): Poisson 1,000,000 x 20, logistic 1,000,000 x 50, negative binomial
100,000 x 10 with alpha estimated. Every fit runs in this one process on the same data; times are
wall-clock (best of ``--repeat`` runs for the fast fitters, one run for statsmodels' IRLS, which is
slow). ``max|diff|`` is the largest absolute coefficient difference from reglab's fit.

    .venv/bin/python benchmarks/glm.py            # full sizes (a few minutes, mostly statsmodels)
    .venv/bin/python benchmarks/glm.py --quick    # 1/10 of the rows

Prints a table and writes ``benchmarks/results/glm.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def _time(fn, repeat):
    """Best wall time and best CPU time (all threads) over ``repeat`` runs, and the output."""
    best, cpu, out = np.inf, np.inf, None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return best, cpu, out


def _data(kind, n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * 0.2
    beta = rng.uniform(-1, 1, p)
    eta = 0.3 + X @ beta
    if kind == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    elif kind == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:  # NB2 with alpha = 0.5 (theta = 2)
        mu = np.exp(eta)
        y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    return X, y


# passes over X of reglab's last fit per case (the issue: "count them and cut them")
PASSES: dict[str, int] = {}


def _poisson_fitters():
    import statsmodels.api as sm
    from glum import GeneralizedLinearRegressor
    from sklearn.linear_model import PoissonRegressor

    from reglab.models.glm import GLM

    def ours(X, y):
        m = GLM(family="poisson").fit(X, y)
        PASSES["poisson"] = m.n_passes_
        return np.r_[m.intercept_, m.coef_]

    def sm_glm(X, y):
        return sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit().params

    def sk(solver, tol):
        def fit(X, y):
            m = PoissonRegressor(alpha=0, solver=solver, tol=tol, max_iter=1000).fit(X, y)
            return np.r_[m.intercept_, m.coef_]
        return fit

    def glum(X, y):
        m = GeneralizedLinearRegressor(family="poisson", alpha=0, gradient_tol=1e-8).fit(X, y)
        return np.r_[m.intercept_, m.coef_]

    return [("reglab GLM (IRLS)", ours, "r"), ("statsmodels GLM", sm_glm, 1),
            ("sklearn PoissonRegressor newton-cholesky", sk("newton-cholesky", 1e-8), "r"),
            ("sklearn PoissonRegressor lbfgs", sk("lbfgs", 1e-8), "r"), ("glum", glum, "r")]


def _logistic_fitters():
    import statsmodels.api as sm
    from glum import GeneralizedLinearRegressor
    from sklearn.linear_model import LogisticRegression as SkLR

    from reglab.models.logistic import LogisticRegression

    def ours(X, y):
        m = LogisticRegression().fit(X, y)
        PASSES["logistic"] = m.n_passes_
        return np.r_[m.intercept_, m.coef_]

    def sm_glm(X, y):
        return sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit().params

    def sk(solver):
        def fit(X, y):
            m = SkLR(penalty=None, solver=solver, tol=1e-8, max_iter=1000).fit(X, y)
            return np.r_[m.intercept_, m.coef_[0]]
        return fit

    def glum(X, y):
        m = GeneralizedLinearRegressor(family="binomial", alpha=0, gradient_tol=1e-8).fit(X, y)
        return np.r_[m.intercept_, m.coef_]

    return [("reglab LogisticRegression (IRLS)", ours, "r"), ("statsmodels GLM", sm_glm, 1),
            ("sklearn LogisticRegression newton-cholesky", sk("newton-cholesky"), "r"),
            ("sklearn LogisticRegression lbfgs", sk("lbfgs"), "r"), ("glum", glum, "r")]


def _nb_fitters():
    import statsmodels.api as sm

    from reglab.models.glm import NegativeBinomial

    def ours(X, y):
        m = NegativeBinomial().fit(X, y)
        PASSES["nb"] = m.n_passes_
        return np.r_[m.intercept_, m.coef_, m.alpha_nb_]

    def sm_nb(X, y):
        r = sm.NegativeBinomial(y, sm.add_constant(X)).fit(disp=0, method="newton", maxiter=100)
        return np.asarray(r.params)

    return [("reglab NegativeBinomial (alpha ML)", ours, "r"),
            ("statsmodels NegativeBinomial (ML, newton)", sm_nb, 1)]


def run_case(name, kind, n, p, fitters, repeat):
    """Time every fitter on one data set; reglab's passes over X are in ``PASSES[kind]``."""
    X, y = _data(kind, n, p)
    rows, ref = [], None
    for label, fn, rep in fitters:
        t, cpu, coef = _time(lambda fn=fn: fn(X, y), repeat if rep == "r" else rep)
        coef = np.asarray(coef, dtype=float)
        ref = coef if ref is None else ref
        rows.append({"case": name, "fitter": label, "seconds": t, "cpu_seconds": cpu,
                     "max_abs_coef_diff_vs_reglab": float(np.max(np.abs(coef - ref)))})
        print(f"  {label:45s} {t:9.3f} s wall {cpu:9.3f} s cpu   max|diff| "
              f"{rows[-1]['max_abs_coef_diff_vs_reglab']:.1e}", flush=True)
    ours, ours_cpu = rows[0]["seconds"], rows[0]["cpu_seconds"]
    for r in rows:
        r["ratio_to_reglab"] = r["seconds"] / ours
        r["cpu_ratio_to_reglab"] = r["cpu_seconds"] / ours_cpu
    fastest = min(rows[1:], key=lambda r: r["seconds"])
    print(f"  -> fastest peer {fastest['fitter']}: {fastest['ratio_to_reglab']:.2f}x reglab's "
          f"wall time ({fastest['cpu_ratio_to_reglab']:.2f}x its CPU time)")
    if kind in PASSES:  # full-data passes; the 1/16-row subsample start adds < 1 pass of work
        rows[0]["passes_over_X"] = PASSES[kind]
        print(f"  -> reglab: {PASSES[kind]} passes over X (plus the start fitted on 1/16 of rows)")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1/10 of the rows")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--cases", default="poisson,logistic,nb")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    specs = {"poisson": ("Poisson 1e6 x 20", "poisson", 1_000_000 // scale, 20, _poisson_fitters),
             "logistic": ("logistic 1e6 x 50", "logistic", 1_000_000 // scale, 50,
                          _logistic_fitters),
             "nb": ("negative binomial 1e5 x 10", "nb", 100_000 // scale, 10, _nb_fitters)}
    results = []
    for key in args.cases.split(","):
        name, kind, n, p, fitters = specs[key]
        print(f"{name} (n={n}, p={p})", flush=True)
        results += run_case(name, kind, n, p, fitters(), args.repeat)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "quick": args.quick,
            "note": "shared machine: load average above gives the contention during the run"}
    out = Path(__file__).parent / "results" / "glm.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
