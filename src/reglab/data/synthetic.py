"""The lecture's synthetic data sets, as pandas DataFrames with a known generating truth.

Every generator takes ``n_samples`` and ``seed`` and returns a DataFrame; the true parameters are
module constants so that tests can check a fit against them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LINE_TRUTH", "SURFACE_TRUTH", "MSIGMA_TRUTH", "GLOBULAR_TRUTH", "line", "surface",
           "circle", "xor", "blobs", "spiral", "moons", "msigma", "globular_clusters",
           "surface_mean"]

LINE_TRUTH = {"intercept": 2.0, "slope": 0.5, "sigma": 1.0}  # the lecture's y = 0.5 x + 2
SURFACE_TRUTH = {"beta": (1.0, 1.5, -1.0, 0.8, -0.6, 2.0), "sigma": 0.3}
MSIGMA_TRUTH = {"alpha": 8.3, "beta": 5.0, "scatter": 0.3, "pivot": 2.3}
GLOBULAR_TRUTH = {"beta0": -4.8, "beta1": -0.45, "k": 1.2}


def line(n_samples: int = 50, seed: int = 0, *, x_range: tuple[float, float] = (0.0, 10.0)
         ) -> pd.DataFrame:
    """``y = 0.5 x + 2 + N(0, 1)``, x uniform on ``x_range``. Columns ``x, y``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(*x_range, n_samples)
    t = LINE_TRUTH
    y = t["intercept"] + t["slope"] * x + rng.normal(0.0, t["sigma"], n_samples)
    return pd.DataFrame({"x": x, "y": y})


def surface_mean(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """``b0 + b1 x1 + b2 x2 + b3 x1^2 + b4 x2^2 + b5 sin(x1^2 x2)`` with ``SURFACE_TRUTH``."""
    b = SURFACE_TRUTH["beta"]
    return (b[0] + b[1] * x1 + b[2] * x2 + b[3] * x1**2 + b[4] * x2**2
            + b[5] * np.sin(x1**2 * x2))


def surface(n_samples: int = 400, seed: int = 0) -> pd.DataFrame:
    """The lecture's nonlinear surface plus ``N(0, 0.3^2)`` noise, x1, x2 uniform on [-2, 2]."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.uniform(-2.0, 2.0, (2, n_samples))
    y = surface_mean(x1, x2) + rng.normal(0.0, SURFACE_TRUTH["sigma"], n_samples)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


def _frame(X: np.ndarray, label: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "label": label.astype(np.int64)})


def circle(n_samples: int = 300, seed: int = 0, *, noise: float = 0.1) -> pd.DataFrame:
    """Two classes: inside (1) or outside (0) a circle; sklearn's ``make_circles``."""
    from sklearn.datasets import make_circles

    X, lab = make_circles(n_samples, noise=noise, factor=0.5, random_state=seed)
    return _frame(X, lab)


def moons(n_samples: int = 300, seed: int = 0, *, noise: float = 0.2) -> pd.DataFrame:
    """Two interleaving half moons; sklearn's ``make_moons``."""
    from sklearn.datasets import make_moons

    X, lab = make_moons(n_samples, noise=noise, random_state=seed)
    return _frame(X, lab)


def blobs(n_samples: int = 300, seed: int = 0, *, centers: int = 3) -> pd.DataFrame:
    """Gaussian blobs (``centers`` classes, unit spread); sklearn's ``make_blobs``."""
    from sklearn.datasets import make_blobs

    X, lab = make_blobs(n_samples, centers=centers, cluster_std=1.0, random_state=seed)
    return _frame(X, lab)


def xor(n_samples: int = 300, seed: int = 0, *, noise: float = 0.15) -> pd.DataFrame:
    """XOR: label 1 when ``x1 * x2 > 0`` for the noise-free point, uniform on [-1, 1]^2."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_samples, 2))
    lab = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _frame(X + rng.normal(0.0, noise, X.shape), lab)


def spiral(n_samples: int = 300, seed: int = 0, *, n_classes: int = 2, noise: float = 0.2
           ) -> pd.DataFrame:
    """Interleaved Archimedean spiral arms, one class per arm (the TensorFlow-playground set)."""
    rng = np.random.default_rng(seed)
    per = np.full(n_classes, n_samples // n_classes)
    per[: n_samples - per.sum()] += 1
    xs, labs = [], []
    for k, m in enumerate(per):
        r = np.linspace(0.1, 1.0, m)
        theta = 3.5 * np.pi * r + 2.0 * np.pi * k / n_classes
        pts = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
        xs.append(pts + rng.normal(0.0, noise * 0.1, pts.shape))
        labs.append(np.full(m, k))
    X, lab = np.concatenate(xs), np.concatenate(labs)
    order = rng.permutation(n_samples)
    return _frame(X[order], lab[order])


def msigma(n_samples: int = 60, seed: int = 0) -> pd.DataFrame:
    """An M-sigma-like relation with measurement errors on both axes (the lecture's model).

    ``log_sigma_true ~ U(1.8, 2.6)``; ``log_M_true ~ N(alpha + beta (log_sigma_true - pivot),
    scatter^2)``; each observed value is the true one plus ``N(0, err_i^2)`` with per-point
    errors ``log_sigma_err ~ U(0.02, 0.08)`` and ``log_M_err ~ U(0.1, 0.4)``.
    Columns ``log_sigma, log_sigma_err, log_M, log_M_err``.
    """
    rng = np.random.default_rng(seed)
    t = MSIGMA_TRUTH
    xs = rng.uniform(1.8, 2.6, n_samples)
    ys = t["alpha"] + t["beta"] * (xs - t["pivot"]) + rng.normal(0.0, t["scatter"], n_samples)
    ex = rng.uniform(0.02, 0.08, n_samples)
    ey = rng.uniform(0.1, 0.4, n_samples)
    return pd.DataFrame({"log_sigma": xs + rng.normal(0.0, ex), "log_sigma_err": ex,
                         "log_M": ys + rng.normal(0.0, ey), "log_M_err": ey})


def globular_clusters(n_samples: int = 200, seed: int = 0) -> pd.DataFrame:
    """Globular-cluster-like counts: ``N_GC ~ NB(mu, k)``, ``log mu = beta0 + beta1 M_V``.

    ``M_V ~ U(-26, -10)`` observed with error ``M_V_err ~ U(0.05, 0.3)``; NB2 with size ``k``
    (variance ``mu + mu^2 / k``), i.e. strongly over-dispersed, as in de Souza et al. (2015).
    Columns ``M_V, M_V_err, N_GC``.
    """
    rng = np.random.default_rng(seed)
    t = GLOBULAR_TRUTH
    mv_true = rng.uniform(-26.0, -10.0, n_samples)
    mu = np.exp(t["beta0"] + t["beta1"] * mv_true)
    # numpy's negative_binomial(n, p) counts failures before n successes: mean n (1 - p) / p.
    counts = rng.negative_binomial(t["k"], t["k"] / (t["k"] + mu))
    err = rng.uniform(0.05, 0.3, n_samples)
    return pd.DataFrame({"M_V": mv_true + rng.normal(0.0, err), "M_V_err": err,
                         "N_GC": counts.astype(np.int64)})
