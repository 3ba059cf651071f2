"""Tweedie log density for 1 < p < 2 by the series of Dunn & Smyth (2005, Stat. Comput. 15:267).

For ``1 < p < 2`` the Tweedie is compound Poisson-gamma: ``N ~ Poisson(lambda)`` gamma jumps, with

    lambda = mu^(2-p) / (phi (2-p)),  shape a = (2-p)/(p-1),  gamma scale c = phi (p-1) mu^(p-1).

``P(y = 0) = exp(-lambda)`` and for ``y > 0``

    f(y) = sum_{j>=1} Pois(j; lambda) Gamma(y; j a, c).

The terms, as a function of ``j``, peak near ``j* = y^(2-p) / (phi (2-p))`` and decay faster than
geometrically on both sides, so a window of ``j`` around ``j*`` (of half-width
``10 sqrt(j*) + 25``) holds the sum to double precision; it is evaluated with log-sum-exp.
"""

from __future__ import annotations

import math
from typing import Any

from . import _xp
from .softmax import logsumexp

__all__ = ["tweedie_series_loglik"]


def tweedie_series_loglik(xp: Any, y: Any, mu: Any, p: float, phi: float) -> Any:
    """Per-sample ``log f(y_i; mu_i, phi, p)``, ``y``, ``mu`` of shape ``(n,)``, ``1 < p < 2``.

    Memory is ``O(n * window)`` with ``window ~ 20 sqrt(max j*) + 50``.
    """
    lam = xp.pow(mu, 2.0 - p) / (phi * (2.0 - p))
    a = (2.0 - p) / (p - 1.0)
    log_c = math.log(phi * (p - 1.0)) + (p - 1.0) * xp.log(mu)
    pos = y > 0
    y1 = xp.where(pos, y, xp.ones_like(y))  # placeholder 1 where y = 0 (those use exp(-lambda))
    jstar = xp.pow(y1, 2.0 - p) / (phi * (2.0 - p))
    half = 10.0 * xp.sqrt(jstar) + 25.0
    width = int(math.ceil(2.0 * float(_xp.to_numpy(xp.max(half))))) + 1
    lo = xp.maximum(xp.floor(jstar - half), xp.ones_like(jstar))
    steps = xp.arange(width, dtype=y.dtype, device=_xp.device(y))
    j = xp.expand_dims(lo, -1) + xp.expand_dims(steps, 0)  # (n, W)
    ja = a * j
    col = lambda v: xp.expand_dims(v, -1)  # noqa: E731
    terms = (j * col(xp.log(lam)) - _xp.lgamma(j + 1.0) + (ja - 1.0) * col(xp.log(y1))
             - _xp.lgamma(ja) - ja * col(log_c))
    series = logsumexp(terms, axis=-1) - y1 / xp.exp(log_c) - lam
    return xp.where(pos, series, -lam)
