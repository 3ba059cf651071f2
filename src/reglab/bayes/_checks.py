"""Input validation for the Bayesian estimators (NumPy only; messages name the row and value)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from reglab._warn import user_stacklevel
from reglab.models._design import feature_names

__all__ = ["check_X", "check_y", "check_errors", "check_xy_cov", "check_response",
           "check_exposure", "latent_start"]


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_X(X: Any, name: str = "X",
            names: list[str] | None = None) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """``X`` as float64 ``(n_samples, n_features)``, its column labels and ``feature_names_in_``.

    Labels are a DataFrame's string columns, else ``x1 .. xp`` (reglab's shared helper,
    :func:`reglab.models._design.feature_names`); the third value is the DataFrame's column names
    (None for NumPy input), what scikit-learn stores as ``feature_names_in_``. ``names``
    overrides the labels in messages (predict: the names seen in fit)."""
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (n_samples, n_features), got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    labels, fnames = feature_names(X, arr.shape[1])
    labels = labels if names is None else list(names)
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = _first_bad(bad)
        raise ValueError(f"{name} has a non-finite value {arr[i, j]} at row {i}, "
                         f"column {labels[j]!r}")
    return arr, labels, fnames


def check_y(y: Any, n: int, name: str = "y") -> np.ndarray:
    arr = np.asarray(y, dtype=float)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but X has {n}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)[0]
        raise ValueError(f"{name} has a non-finite value {arr[i]} at row {i}")
    return arr


def _by_name(err: Any, fnames: np.ndarray | None, name: str) -> Any:
    """A DataFrame of errors for a DataFrame X: its columns aligned to X's by name (X's order);
    a column of X it lacks, or one X does not have, raises naming it."""
    if fnames is None or not hasattr(err, "columns"):
        return err  # by position
    want = [str(c) for c in fnames]
    have = [str(c) for c in err.columns]
    cols = ", ".join(want)
    missing = [c for c in want if c not in have]
    if missing:
        raise ValueError(f"{name} has no column {missing[0]!r} (X has columns {cols}); give 0 "
                         "for a column measured exactly")
    extra = [c for c in have if c not in want]
    if extra:
        raise ValueError(f"{name} has column {extra[0]!r}, which X does not have (X has "
                         f"columns {cols})")
    return err.set_axis(have, axis=1)[want]


def check_errors(err: Any, n: int, p: int | None, name: str, names: list[str] | None = None,
                 fnames: np.ndarray | None = None) -> np.ndarray:
    """Measurement-error standard deviations: ``(n,)`` when ``p`` is None else ``(n, p)``.

    A scalar broadcasts; ``None`` means no error (zeros). A DataFrame is matched to X's columns
    by name when X was a DataFrame (``fnames``), else taken by position. Negative, NaN or
    infinite values raise, naming the row and the column (``names``: X's column labels).
    """
    shape = (n,) if p is None else (n, p)
    if err is None:
        return np.zeros(shape)
    arr = np.asarray(_by_name(err, fnames, name) if p is not None else err, dtype=float)
    if arr.ndim == 0:
        arr = np.full(shape, float(arr))
    if p is not None and arr.ndim == 1 and arr.shape[0] == n:
        arr = arr[:, None]
    labels = list(names) if names is not None else [f"x{j + 1}" for j in range(p or 0)]
    if p is not None and arr.ndim == 2 and arr.shape[0] == n and arr.shape[1] != p:
        raise ValueError(
            f"{name} has {arr.shape[1]} column(s), X has {p} ({', '.join(labels)}): give one "
            "error column per column of X, 0 for a column measured exactly"
        )
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (one error per value), got {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        idx = _first_bad(bad)
        where = f"row {idx[0]}" + (f", column {labels[idx[1]]!r}" if len(idx) > 1 else "")
        raise ValueError(
            f"{name} must be finite and >= 0 (standard deviations), got {arr[idx]} at {where}"
        )
    return arr


def check_xy_cov(cov: Any, x_err: np.ndarray, y_err: np.ndarray, names: list[str],
                 fnames: np.ndarray | None = None) -> np.ndarray:
    """Covariance between the x and y measurement errors, ``(n, p)`` (a DataFrame matched to X's
    columns as x_err is); the joint (p+1)x(p+1) error covariance of every row must be positive
    semi-definite."""
    n, p = x_err.shape
    if cov is None:
        return np.zeros((n, p))
    cov = _by_name(cov, fnames, "xy_cov")
    arr = check_y(cov, n, "xy_cov")[:, None] if np.ndim(cov) == 1 else np.asarray(cov, float)
    if arr.shape != (n, p):
        raise ValueError(f"xy_cov must have shape {(n, p)}, got {arr.shape}")
    if not np.isfinite(arr).all():
        i, j = _first_bad(~np.isfinite(arr))
        raise ValueError(f"xy_cov has a non-finite value {arr[i, j]} at row {i}, "
                         f"column {names[j]!r}")
    sigma = np.zeros((n, p + 1, p + 1))
    sigma[:, np.arange(p), np.arange(p)] = x_err**2
    sigma[:, p, p] = y_err**2
    sigma[:, :p, p] = arr
    sigma[:, p, :p] = arr
    scale = np.max(np.abs(sigma), axis=(1, 2)) + 1e-300
    lowest = np.linalg.eigvalsh(sigma)[:, 0] / scale
    bad = lowest < -1e-10
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"xy_cov at row {i} ({arr[i]}) is larger than x_err * y_err allows: the error "
            "covariance matrix of that row is not positive semi-definite"
        )
    return arr


def check_response(y: np.ndarray, family: str) -> None:
    """Support of the response: counts for poisson / negative_binomial, 0/1 for bernoulli."""
    if family in ("poisson", "negative_binomial"):
        bad = (y < 0) | (y != np.round(y))
        if bad.any():
            i = _first_bad(bad)[0]
            raise ValueError(
                f"y must hold non-negative integer counts for the {family} family, "
                f"got {y[i]} at row {i}"
            )
    elif family == "bernoulli":
        bad = (y != 0) & (y != 1)
        if bad.any():
            i = _first_bad(bad)[0]
            raise ValueError(f"y must be 0 or 1 for the bernoulli family, got {y[i]} at row {i}")


def check_exposure(exposure: Any, n: int) -> np.ndarray:
    """Exposures (time at risk, population): ``(n,)``, finite and > 0; the offset is their log."""
    arr = check_y(exposure, n, "exposure")
    bad = arr <= 0
    if bad.any():
        i = _first_bad(bad)[0]
        raise ValueError(f"exposure must be > 0 (its log is the offset), got {arr[i]} at row {i}")
    return arr


def latent_start(X: np.ndarray, x_err: np.ndarray, prior: Any,
                 names: list[str]) -> np.ndarray | None:
    """Start ``u`` (p, n) of the latent x under a bounded latent-x prior (see
    ``_models._bounded_latent_x``: x_true = low + (high - low) sigmoid(u), or exp(u) on (0, inf));
    None for a prior on the whole real line (then every latent x starts at its observation).

    An observation outside the support is legitimate with measurement error (the true x inside,
    the noise pushing it out): its latent x starts one x_err (at most 5% of the support's width)
    inside the nearest edge, as does one closer to the edge than that; every other latent x starts
    at its observation. A value more than 5 x_err outside gets a warning naming it; one with
    x_err = 0 is refused (its latent x is the observation itself, which the prior rules out)."""
    if prior is None or prior.support == "real":
        return None
    low, high = prior.params if prior.support == "interval" else (0.0, np.inf)
    outside = (X <= low) | (X >= high)
    support = f"({low:g}, {high:g})"
    exact = outside & (x_err == 0)
    if exact.any():
        i, j = _first_bad(exact)
        raise ValueError(
            f"X at row {i}, column {names[j]!r} is {X[i, j]:g}, outside the latent-x prior's "
            f"support {support}, and its x_err is 0: its latent x is the observation itself, "
            "which the prior rules out; give it a measurement error, drop the row or widen the "
            "prior"
        )
    sigmas = np.where(outside, np.maximum(low - X, X - high) / np.where(outside, x_err, 1.0), 0.0)
    far = sigmas > 5.0
    if far.any():
        i, j = _first_bad(far)
        more = f" ({int(far.sum())} values lie more than 5 x_err outside)" if far.sum() > 1 else ""
        warnings.warn(
            f"X at row {i}, column {names[j]!r} is {X[i, j]:g}, {sigmas[i, j]:.1f} x_err outside "
            f"the latent-x prior's support {support}{more}: the prior puts its true value inside, "
            f"so the fit treats it as a {sigmas[i, j]:.1f}-sigma measurement error; check the "
            "value, its x_err and the prior",
            UserWarning, stacklevel=user_stacklevel(),
        )
    margin = np.minimum(x_err, 0.05 * (high - low))
    start = np.where(x_err > 0, np.clip(X, low + margin, high - margin), X)
    if prior.support != "interval":
        return np.log(start).T
    frac = (start - low) / (high - low)
    return (np.log(frac) - np.log1p(-frac)).T
