"""Split R-hat and effective sample size in NumPy, so that a loaded model summarises without JAX.

Same definitions as ``numpyro.diagnostics.split_gelman_rubin`` and ``effective_sample_size``
(the tests compare to 1e-10): Gelman et al.'s split R-hat, and Geyer's initial monotone sequence
estimator of the integrated autocorrelation time with Stan's multi-chain autocorrelation.
Draws are ``(num_chains, num_samples, ...)``; results have the trailing shape ``(...)``.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

__all__ = ["split_rhat", "effective_sample_size"]


def _variance_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Within-chain variance W and the pooled estimator var+ = (N-1)/N W + B/N (C chains of N).

    With one chain there is no between-chain term and W is taken as var+ (numpyro's choice)."""
    n = x.shape[1]
    within = x.var(axis=1, ddof=1).mean(axis=0)
    pooled = within * (n - 1) / n
    if x.shape[0] > 1:
        pooled = pooled + x.mean(axis=1).var(axis=0, ddof=1)
    else:
        within = pooled
    return within, pooled


def split_rhat(x: np.ndarray) -> np.ndarray:
    """Split R-hat: each chain cut into its first and last N//2 draws, then sqrt(var+ / W).
    NaN where the draws are constant (0 / 0). Needs N >= 4."""
    if x.shape[1] < 4:
        raise ValueError(f"split R-hat needs at least 4 draws per chain, got {x.shape[1]}")
    half = x.shape[1] // 2
    halves = np.concatenate([x[:, :half], x[:, -half:]], axis=0)
    within, pooled = _variance_stats(halves)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(pooled / within)


def _next_fast_len(n: int) -> int:
    """Smallest m >= n whose only prime factors are 2, 3 and 5."""
    if n <= 2:
        return n
    while True:
        m = n
        for f in (2, 3, 5):
            while m % f == 0:
                m //= f
        if m == 1:
            return n
        n += 1


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance along axis 1 (lags 0 .. N-1, divided by N), by FFT."""
    n = x.shape[1]
    m2 = 2 * _next_fast_len(n)
    centred = np.swapaxes(x - x.mean(axis=1, keepdims=True), 1, -1).astype(np.float64)
    f = fft.rfft(centred, n=m2, axis=-1)
    acov = fft.irfft(f * np.conjugate(f), n=m2, axis=-1)[..., :n] / n
    return np.swapaxes(acov, 1, -1)


def effective_sample_size(x: np.ndarray) -> np.ndarray:
    """C N / tau with tau = -1 + 2 sum_k P_k, P_k = rho_2k + rho_2k+1 made non-negative and
    non-increasing (Geyer's initial monotone sequence); rho_t = 1 - (W - mean_c acov_c(t)) / var+.
    NaN where the draws are constant. Needs N >= 2."""
    if x.shape[1] < 2:
        raise ValueError(f"the effective sample size needs at least 2 draws, got {x.shape[1]}")
    acov = _autocovariance(x)
    within, pooled = _variance_stats(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (within - acov.mean(axis=0)) / pooled
    rho[0] = 1.0
    pairs = rho[:-1:2] + rho[1::2]
    pairs = np.concatenate([pairs[:1],
                            np.minimum.accumulate(np.clip(pairs[1:], 0, None), axis=0)], axis=0)
    tau = -1.0 + 2.0 * pairs.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x.shape[0] * x.shape[1] / tau
