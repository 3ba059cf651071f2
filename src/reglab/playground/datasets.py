"""Data sets and input features of the playground.

Every generator draws points in the square ``[-6, 6]^2`` (the TensorFlow Playground's domain) and
returns ``(X, y)`` with ``X`` of shape ``(n_samples, 2)`` (float64) and

- binary classification: ``y`` in {0, 1} (the Bernoulli family's coding; TensorFlow Playground
  uses -1/+1 with a tanh output and squared error, we use a logistic output and log loss);
- multiclass classification: ``y`` integer labels in {0, ..., K-1} (categorical family);
- regression: ``y`` real in ``[-1, 1]`` (gaussian family).

``noise`` is a fraction in ``[0, 0.5]`` (the page shows it as 0-50 %), as in TensorFlow Playground.
The four binary sets and the two regression sets follow that page's generators
(``dataset.ts``) so that a user moving from one page to the other sees the same pictures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["DATASETS", "FEATURES", "Dataset", "feature_input", "make_dataset", "make_features",
           "split_train_test"]

RADIUS = 6.0  # half-width of the square the page draws


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inner disc (class 1, r < 2.5) and outer ring (class 0, 3.5 < r < 5); noise moves points."""
    radius = 5.0
    half = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, half),
                        rng.uniform(radius * 0.7, radius, n - half)])
    angle = rng.uniform(0, 2 * math.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    # The label is decided after the noise is added, as in TensorFlow Playground: noise flips
    # labels near the boundary rather than blurring the points.
    shifted = X + rng.uniform(-radius, radius, (n, 2)) * noise
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return X, y


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Class 1 where x1 * x2 >= 0; points kept 0.3 away from the axes."""
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    shifted = X + rng.uniform(-5, 5, (n, 2)) * noise
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return X, y


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds at (2, 2) (class 1) and (-2, -2); the spread grows from 0.5 to 4."""
    sd = math.sqrt(0.5 + 7.0 * noise)  # noise [0, 0.5] -> variance [0.5, 4], linearly
    half = n // 2
    centers = np.repeat(np.array([[2.0, 2.0], [-2.0, -2.0]]), [half, n - half], axis=0)
    X = centers + rng.normal(0.0, sd, (n, 2))
    y = np.repeat(np.array([1, 0]), [half, n - half])
    return X, y


def _spiral_arms(n: int, noise: float, k: int, rng: np.random.Generator):
    """``k`` interleaved spiral arms, 1.75 turns each, radius growing to 5."""
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    xs, ys = [], []
    for label, m in enumerate(sizes):
        i = np.arange(m)
        r = i / m * 5.0
        t = 1.75 * i / m * 2 * math.pi + label * 2 * math.pi / k
        pts = np.column_stack([r * np.sin(t), r * np.cos(t)])
        xs.append(pts + rng.uniform(-1, 1, (m, 2)) * noise)
        ys.append(np.full(m, label, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    X, y = _spiral_arms(n, noise, 2, rng)
    return X, 1 - y  # the first arm is the positive class, as on TensorFlow Playground


def _spiral3(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return _spiral_arms(n, noise, 3, rng)


def _blobs4(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian clouds centred at (+-2.5, +-2.5), one class each; spread grows with noise."""
    centers = np.array([[2.5, 2.5], [-2.5, 2.5], [-2.5, -2.5], [2.5, -2.5]])
    y = np.arange(n) % 4
    X = centers[y] + rng.normal(0.0, 0.6 + 5.0 * noise, (n, 2))
    return X, y.astype(np.int64)


def _rings3(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three concentric rings (radii 0-1.5, 2.5-3.5, 4.5-5.5), one class each."""
    y = np.arange(n) % 3
    r = rng.uniform(0, 1.0, n) + 2.0 * y + np.where(y == 0, 0.0, 0.5)
    r = np.where(y == 0, r * 1.5, r)
    angle = rng.uniform(0, 2 * math.pi, n)
    X = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    return X + rng.normal(0.0, 1.0, (n, 2)) * noise * 2, y.astype(np.int64)


def _uniform_with_noise(n: int, noise: float, rng: np.random.Generator):
    X = rng.uniform(-RADIUS, RADIUS, (n, 2))
    return X, X + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """y = (x1 + x2) / 10 evaluated at a noisily shifted point: a tilted plane in [-1, 1]."""
    X, shifted = _uniform_with_noise(n, noise, rng)
    return X, np.clip((shifted[:, 0] + shifted[:, 1]) / 10.0, -1.0, 1.0)


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def _multi_gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Six signed cones of radius 2; at each point the one largest in absolute value wins."""
    X, shifted = _uniform_with_noise(n, noise, rng)
    d = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    vals = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)  # (n, 6)
    pick = np.argmax(np.abs(vals), axis=1)
    return X, vals[np.arange(n), pick]


@dataclass(frozen=True)
class Dataset:
    """A registered generator: ``problem`` is "binary", "multiclass" or "regression"."""

    name: str
    label: str
    problem: str
    n_classes: int
    generate: Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


DATASETS: dict[str, Dataset] = {d.name: d for d in [
    Dataset("circle", "Circle", "binary", 2, _circle),
    Dataset("xor", "Exclusive or", "binary", 2, _xor),
    Dataset("gauss", "Gaussian", "binary", 2, _gauss),
    Dataset("spiral", "Spiral", "binary", 2, _spiral),
    Dataset("spiral3", "Three spirals", "multiclass", 3, _spiral3),
    Dataset("blobs4", "Four blobs", "multiclass", 4, _blobs4),
    Dataset("rings3", "Three rings", "multiclass", 3, _rings3),
    Dataset("plane", "Plane", "regression", 0, _plane),
    Dataset("multigauss", "Multi Gaussian", "regression", 0, _multi_gauss),
]}


def make_dataset(name: str, n_samples: int, noise: float,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, 2), y (n,))`` from the registered generator ``name``, reproducible from ``seed``."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}")
    rng = np.random.default_rng(seed)
    return DATASETS[name].generate(n_samples, noise, rng)


def split_train_test(n: int, train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint sorted index arrays ``(train, test)``; both non-empty when n >= 2."""
    perm = np.random.default_rng(seed + 1).permutation(n)
    n_train = min(max(int(round(train_fraction * n)), 1), n - 1) if n >= 2 else n
    return np.sort(perm[:n_train]), np.sort(perm[n_train:])


FEATURES: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "x1": ("X\u2081", lambda a, b: a),
    "x2": ("X\u2082", lambda a, b: b),
    "x1sq": ("X\u2081\u00b2", lambda a, b: a * a),
    "x2sq": ("X\u2082\u00b2", lambda a, b: b * b),
    "x1x2": ("X\u2081X\u2082", lambda a, b: a * b),
    "sinx1": ("sin(X\u2081)", lambda a, b: np.sin(a)),
    "sinx2": ("sin(X\u2082)", lambda a, b: np.sin(b)),
}

# Fixed scales bring every feature to roughly unit size on [-6, 6]^2 (x^2 reaches 36 there), so
# that one learning rate suits every feature choice; fixed rather than fitted so that the
# per-feature heat maps and the drawn points mean the same thing on every data set.
_SCALE = {"x1": 6.0, "x2": 6.0, "x1sq": 18.0, "x2sq": 18.0, "x1x2": 18.0,
          "sinx1": 1.0, "sinx2": 1.0}
_SHIFT = {"x1sq": 12.0, "x2sq": 12.0}


def feature_input(name: str) -> str:
    """What the network receives for a feature, in words: ``"(X₁² − 12) / 18"``."""
    label, shift, scale = FEATURES[name][0], _SHIFT.get(name, 0.0), _SCALE[name]
    core = f"({label} \u2212 {shift:g})" if shift else label
    return core if scale == 1.0 else f"{core} / {scale:g}"


def make_features(X: np.ndarray, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Map points ``X (n, 2)`` to the network input ``(n, len(names))`` (float32), scaled.

    Column j is ``(f_j(x1, x2) - shift_j) / scale_j`` with ``f_j`` one of x1, x2, x1^2, x2^2,
    x1 x2, sin x1, sin x2.
    """
    a, b = X[:, 0], X[:, 1]
    cols = []
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"unknown feature {name!r}; choose from {list(FEATURES)}")
        cols.append((FEATURES[name][1](a, b) - _SHIFT.get(name, 0.0)) / _SCALE[name])
    return np.column_stack(cols).astype(np.float32)
