"""Least squares: accuracy on NIST Longley and fit speed against statsmodels and scikit-learn.

Run: ``.venv/bin/python benchmarks/linear.py [--quick]``. Prints two tables and writes
``benchmarks/results/linear.json``. BLAS is limited to one thread for every contender (fair, and
less noisy on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from sklearn.linear_model import LinearRegression as SkLinearRegression
from threadpoolctl import threadpool_limits

from reglab.models.linear import LinearRegression
from reglab.solvers.gradient_descent import (
    gradient_descent,
    inverse_time_decay,
    stochastic_gradient_descent,
)

# NIST StRD Longley certified coefficients (intercept first)
NIST = np.array([-3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
                 -1.03322686717359, -0.511041056535807e-01, 1829.15146461355])


def lre(est, cert):
    """Log relative error: the number of correct significant digits (min over coefficients)."""
    rel = np.abs(np.asarray(est) - cert) / np.abs(cert)
    return float(np.min(-np.log10(np.maximum(rel, 1e-16))))


def longley_accuracy():
    d = sm.datasets.longley.load_pandas()
    X, y = d.exog.to_numpy(), d.endog.to_numpy()
    D = np.column_stack([np.ones(len(y)), X])
    sk = SkLinearRegression().fit(X, y)
    return {
        "reglab QR": lre(LinearRegression().fit(X, y).params_, NIST),
        "reglab SVD": lre(LinearRegression(solver="svd").fit(X, y).params_, NIST),
        "statsmodels OLS (pinv)": lre(sm.OLS(y, D).fit().params, NIST),
        "scikit-learn LinearRegression": lre(np.r_[sk.intercept_, sk.coef_], NIST),
        "numpy lstsq": lre(np.linalg.lstsq(D, y, rcond=None)[0], NIST),
        "normal equations": lre(np.linalg.solve(D.T @ D, D.T @ y), NIST),
    }


def best_of(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def speed(n, p, repeats):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + 1.0 + rng.normal(size=n)
    D = np.column_stack([np.ones(n), X])

    def ours():
        m = LinearRegression().fit(X, y)
        return m.params_.to_numpy(), m.std_errors_.to_numpy()

    def statsmodels():
        r = sm.OLS(y, D).fit()
        return r.params, r.bse

    def sklearn():
        m = SkLinearRegression().fit(X, y)
        return np.r_[m.intercept_, m.coef_], None

    rows = {}
    ref = None
    for name, f in [("reglab (fit + SEs)", ours), ("statsmodels OLS (fit + SEs)", statsmodels),
                    ("scikit-learn (fit only)", sklearn)]:
        t, (b, _) = best_of(f, repeats)
        ref = b if ref is None else ref
        rows[name] = {"seconds": t, "max_abs_coef_diff_vs_reglab": float(np.max(np.abs(b - ref)))}
    return rows


def gd_path():
    rng = np.random.default_rng(0)
    n = 2000
    X = rng.normal(size=(n, 5))
    y = X @ np.arange(1.0, 6.0) + 2 + rng.normal(size=n)
    ols = LinearRegression().fit(X, y)
    target = np.r_[ols.intercept_, ols.coef_]
    out = {}
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = gradient_descent(X, y, learning_rate=0.5, tol=1e-12, max_iter=10000)
    out["batch GD (lr 0.5)"] = {"seconds": time.perf_counter() - t, "updates": r.n_iter,
                                "max_abs_err": float(np.abs(np.r_[r.intercept, r.coef] - target)
                                                     .max())}
    for bs in (1, 32):
        t = time.perf_counter()
        r = stochastic_gradient_descent(X, y, batch_size=bs, n_epochs=20, random_state=0,
                                        learning_rate=inverse_time_decay(0.05 * bs**0.5, n / bs))
        out[f"SGD batch {bs}, 20 epochs"] = {
            "seconds": time.perf_counter() - t, "updates": r.n_iter,
            "max_abs_err": float(np.abs(np.r_[r.intercept, r.coef] - target).max())}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    args = ap.parse_args()
    sizes = [(100_000, 20)] if args.quick else [(100_000, 20), (1_000_000, 20)]
    with threadpool_limits(1):
        acc = longley_accuracy()
        print("Longley (NIST StRD): correct significant digits, min over coefficients")
        for k, v in acc.items():
            print(f"  {k:32s} {v:5.1f}")
        timing = {}
        for n, p in sizes:
            timing[f"{n}x{p}"] = rows = speed(n, p, repeats=3)
            print(f"\nOLS fit, n={n:,}, p={p} (best of 3, 1 BLAS thread)")
            base = rows["reglab (fit + SEs)"]["seconds"]
            for k, v in rows.items():
                print(f"  {k:30s} {v['seconds']:8.3f} s  x{v['seconds'] / base:5.2f}  "
                      f"coef diff {v['max_abs_coef_diff_vs_reglab']:.1e}")
        gd = gd_path()
        print("\nIterative path, n=2000, p=5 (error vs the closed form)")
        for k, v in gd.items():
            print(f"  {k:28s} {v['seconds']:7.3f} s  {v['updates']:6d} updates  "
                  f"max |err| {v['max_abs_err']:.1e}")
    out = Path(__file__).parent / "results" / "linear.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"longley_digits": acc, "ols_speed": timing, "gd": gd}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
