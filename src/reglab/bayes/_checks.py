"""Input validation for the Bayesian estimators (NumPy only; messages name the row and value)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_X", "check_y", "check_errors", "check_xy_cov", "check_response",
           "check_exposure"]


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def check_X(X: Any, name: str = "X") -> tuple[np.ndarray, list[str]]:
    """``X`` as float64 ``(n_samples, n_features)`` and its feature names."""
    names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
    arr = np.asarray(X, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (n_samples, n_features), got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = _first_bad(bad)
        col = names[j] if names else f"column {j}"
        raise ValueError(f"{name} has a non-finite value {arr[i, j]} at row {i}, {col}")
    return arr, names or [f"x{j}" for j in range(arr.shape[1])]


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


def check_errors(err: Any, n: int, p: int | None, name: str) -> np.ndarray:
    """Measurement-error standard deviations: ``(n,)`` when ``p`` is None else ``(n, p)``.

    A scalar broadcasts; ``None`` means no error (zeros). Negative, NaN or infinite values raise.
    """
    shape = (n,) if p is None else (n, p)
    if err is None:
        return np.zeros(shape)
    arr = np.asarray(err, dtype=float)
    if arr.ndim == 0:
        arr = np.full(shape, float(arr))
    if p is not None and arr.ndim == 1 and p == 1:
        arr = arr[:, None]
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (one error per value), got {arr.shape}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        idx = _first_bad(bad)
        where = f"row {idx[0]}" + (f", column {idx[1]}" if len(idx) > 1 else "")
        raise ValueError(
            f"{name} must be finite and >= 0 (standard deviations), got {arr[idx]} at {where}"
        )
    return arr


def check_xy_cov(cov: Any, x_err: np.ndarray, y_err: np.ndarray) -> np.ndarray:
    """Covariance between the x and y measurement errors, ``(n, p)``; the joint (p+1)x(p+1) error
    covariance of every row must be positive semi-definite."""
    n, p = x_err.shape
    if cov is None:
        return np.zeros((n, p))
    arr = check_y(cov, n, "xy_cov")[:, None] if np.ndim(cov) == 1 else np.asarray(cov, float)
    if arr.shape != (n, p):
        raise ValueError(f"xy_cov must have shape {(n, p)}, got {arr.shape}")
    if not np.isfinite(arr).all():
        i, j = _first_bad(~np.isfinite(arr))
        raise ValueError(f"xy_cov has a non-finite value {arr[i, j]} at row {i}, column {j}")
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
