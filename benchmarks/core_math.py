"""Core math on every available array backend: agreement with NumPy float64, and speed vs peers.

    python benchmarks/core_math.py [--n 1000000] [--out benchmarks/results/core_math.json]

For each backend (NumPy; PyTorch CPU and CUDA and CuPy when installed) it checks that every
registered activation (forward and vjp, float32) and family (loss and gradient, float64) agrees
with the NumPy float64 result, then times reglab against the backend's own implementation:
softmax over 10 classes (scipy.special.softmax / torch.softmax), the Bernoulli gradient and Fisher
weight (scikit-learn's Cython HalfBinomialLoss on CPU, hand-written sigmoid arithmetic on torch)
and the Poisson loss. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from reglab.core import ACTIVATIONS, FAMILIES, get_activation, get_family, softmax
from reglab.core._xp import to_numpy


def backends():
    out = {"numpy": (np, None)}
    try:
        import torch

        out["torch-cpu"] = (torch, "cpu")
        if torch.cuda.is_available():
            out["torch-cuda"] = (torch, "cuda")
    except ImportError:
        pass
    try:
        import cupy

        cupy.zeros(1)
        out["cupy"] = (cupy, None)
    except Exception:
        pass
    return out


def put(lib, dev, a, dtype):
    a = np.asarray(a, dtype=dtype)
    if lib is np:
        return a
    if dev is not None:
        return lib.asarray(a, device=dev)
    return lib.asarray(a)


def sync(lib, dev):
    if dev == "cuda":
        lib.cuda.synchronize()
    elif lib.__name__ == "cupy":
        lib.cuda.Stream.null.synchronize()


def best_time(fn, lib, dev, repeat=5):
    fn()
    sync(lib, dev)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync(lib, dev)
        best = min(best, time.perf_counter() - t0)
    return best


def family_case(name, rng, n=200):
    fam = get_family(name)
    if name == "categorical":
        return fam, rng.integers(0, 4, n).astype(float), rng.normal(size=(n, 4))
    mu = rng.uniform(0.2, 0.9, n) if name in ("binomial", "bernoulli") else rng.uniform(0.5, 3, n)
    y = {"binomial": rng.integers(0, 2, n), "bernoulli": rng.integers(0, 2, n),
         "gaussian": mu + rng.normal(size=n), "gamma": rng.gamma(2, 1, n) + 0.1,
         "inverse_gaussian": rng.gamma(2, 1, n) + 0.1}.get(name, rng.poisson(mu))
    return fam, np.asarray(y, float), np.asarray(fam.link.link(mu))


def agreement(lib, dev, rng):
    x = np.linspace(-20, 20, 4001)
    worst_act = 0.0
    for name in ACTIVATIONS:
        act = get_activation(name)
        ref_y, ref_d = act(x), act.derivative(x)
        xb = put(lib, dev, x, np.float32)
        yb = act(xb)
        db = act.vjp(xb, yb, lib.ones_like(xb))
        scale = np.maximum(1.0, np.abs(ref_y))
        worst_act = max(worst_act, float(np.max(np.abs(to_numpy(yb) - ref_y) / scale)),
                        float(np.max(np.abs(to_numpy(db) - ref_d) / np.maximum(1, abs(ref_d)))))
    worst_fam = 0.0
    for name in FAMILIES:
        fam, y, eta = family_case(name, rng)
        ref = [np.atleast_1d(fam.loss(y, eta)), *fam.gradient_hessian(y, eta)]
        got = [fam.loss(put(lib, dev, y, np.float64), put(lib, dev, eta, np.float64)),
               *fam.gradient_hessian(put(lib, dev, y, np.float64), put(lib, dev, eta, np.float64))]
        for r, g in zip(ref, got):
            g = np.atleast_1d(to_numpy(g))
            worst_fam = max(worst_fam, float(np.max(np.abs(g - r) / np.maximum(1, np.abs(r)))))
    return worst_act, worst_fam


def peers(lib, dev, n):
    if lib is np:
        import scipy.special as sc

        try:
            from sklearn._loss.loss import HalfBinomialLoss, HalfPoissonLoss
        except ImportError:  # the GPU host's Python may lack scikit-learn
            return {"softmax": ("scipy.special.softmax", lambda z: sc.softmax(z, axis=-1))}

        bino, pois = HalfBinomialLoss(), HalfPoissonLoss()
        return {
            "softmax": ("scipy.special.softmax", lambda z: sc.softmax(z, axis=-1)),
            "bernoulli_grad_hess": ("sklearn HalfBinomialLoss",
                                    lambda y, e: bino.gradient_hessian(y, e, n_threads=1)),
            "poisson_loss": ("sklearn HalfPoissonLoss",
                             lambda y, e: pois.loss(y, e, n_threads=1).mean()),
        }
    if lib.__name__ == "torch":
        def grad_hess(y, e):
            s = lib.sigmoid(e)
            return s - y, s * (1 - s)

        return {
            "softmax": ("torch.softmax", lambda z: lib.softmax(z, dim=-1)),
            "bernoulli_grad_hess": ("torch sigmoid arithmetic", grad_hess),
            "poisson_loss": ("torch poisson_nll_loss",
                             lambda y, e: lib.nn.functional.poisson_nll_loss(e, y, full=False)),
        }
    return {}


def timings(lib, dev, n, rng):
    z = put(lib, dev, rng.normal(size=(n // 10, 10)), np.float64)
    y = put(lib, dev, rng.integers(0, 2, n), np.float64)
    counts = put(lib, dev, rng.poisson(2.0, n), np.float64)
    eta = put(lib, dev, rng.normal(size=n), np.float64)
    bern, pois = get_family("bernoulli"), get_family("poisson")
    ours = {
        "softmax": lambda: softmax(z),
        "bernoulli_grad_hess": lambda: bern.gradient_hessian(y, eta),
        "poisson_loss": lambda: pois.loss(counts, eta),
    }
    args = {"softmax": (z,), "bernoulli_grad_hess": (y, eta), "poisson_loss": (counts, eta)}
    rows = []
    for task, fn in ours.items():
        t_ours = best_time(fn, lib, dev)
        peer_name, peer = peers(lib, dev, n).get(task, ("-", None))
        t_peer = best_time(lambda p=peer, a=args[task]: p(*a), lib, dev) if peer else np.nan
        rows.append({"task": task, "reglab_ms": 1e3 * t_ours, "peer": peer_name,
                     "peer_ms": 1e3 * t_peer, "ratio": t_ours / t_peer})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--out", default="benchmarks/results/core_math.json")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    result = {"n": args.n, "machine": platform.processor() or platform.machine(), "backends": {}}
    print(f"n = {args.n:,} samples (softmax: n/10 rows x 10 classes), best of 5, float64")
    print(f"{'backend':<11} {'task':<20} {'reglab ms':>10} {'peer ms':>9} {'ratio':>6}  peer")
    for name, (lib, dev) in backends().items():
        act_err, fam_err = agreement(lib, dev, rng)
        rows = timings(lib, dev, args.n, rng)
        result["backends"][name] = {"max_rel_err_activations_f32": act_err,
                                    "max_rel_err_families_f64": fam_err, "timings": rows}
        for r in rows:
            print(f"{name:<11} {r['task']:<20} {r['reglab_ms']:>10.2f} {r['peer_ms']:>9.2f} "
                  f"{r['ratio']:>6.2f}  {r['peer']}")
        print(f"{name:<11} agreement with NumPy float64: activations (float32) {act_err:.1e}, "
              f"families (float64) {fam_err:.1e}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
