r"""Maximum-likelihood dispersion of the NB2 negative binomial given the means (MASS::theta.ml).

With :math:`\theta = 1/\alpha` (variance :math:`\mu + \mu^2/\theta`) and prior weights ``w``:

.. math::

    \ell(\theta) = \sum_i w_i\,[\ln\Gamma(\theta + y_i) - \ln\Gamma(\theta) - \ln\Gamma(y_i + 1)
        + \theta\ln\theta + y_i\ln\mu_i - (\theta + y_i)\ln(\theta + \mu_i)],

    U(\theta) = \sum_i w_i\,[\psi(\theta + y_i) - \psi(\theta) + \ln\theta + 1 - \ln(\theta + \mu_i)
        - (y_i + \theta)/(\mu_i + \theta)],

    I(\theta) = \sum_i w_i\,[\psi'(\theta) - \psi'(\theta + y_i) - 1/\theta + 2/(\mu_i + \theta)
        - (y_i + \theta)/(\mu_i + \theta)^2].

Poisson limit: :math:`\partial\ell/\partial\alpha` at :math:`\alpha = 0` equals
:math:`\tfrac12\sum_i w_i[(y_i - \mu_i)^2 - y_i]`. When it is not positive the data show no
overdispersion and the estimate is :math:`\alpha = 0` exactly (the Poisson model), instead of
letting :math:`\theta` run off to infinity as ``theta.ml`` does.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import digamma, gammaln, polygamma

from reglab.core._counts import value_table

__all__ = ["nb_loglik", "theta_score", "theta_ml", "poisson_limit_score", "count_table"]

# Beyond this theta the NB2 and Poisson likelihoods agree to ~1e-12 relative for counts of the
# size seen in practice; report the Poisson limit instead of iterating on a flat likelihood.
_THETA_MAX = 1e10


def count_table(y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of y (k,) and their total weights (k,); reusable across theta_ml calls."""
    return value_table(y, w)


class _Profile:
    """The log-likelihood in theta for fixed (y, mu, w), evaluated cheaply.

    The gamma-function terms depend on theta and y only, so they are summed over the distinct
    values of y with their total weights (counts take few distinct values): a Newton step costs
    O(#distinct y) special-function calls plus a few O(n) array operations.
    """

    def __init__(self, y, mu, w, counts=None):
        self.w = w  # None: unit weights (sums instead of dot products with a ones array)
        self.uy, self.wu = count_table(y, w) if counts is None else counts
        self.wsum = float(y.shape[0] if w is None else w.sum())
        self.y, self.mu = y, mu
        self._const: float | None = None

    def _sum(self, v: np.ndarray) -> float:
        return float(v.sum() if self.w is None else self.w @ v)

    @property
    def const(self) -> float:
        """The theta-free part, computed on first use (a Newton step needs only the score)."""
        if self._const is None:
            self._const = (self._sum(self.y * np.log(self.mu))
                           - float(self.wu @ gammaln(self.uy + 1)))
        return self._const

    def loglik(self, t: float) -> float:
        if math.isinf(t):
            return self.const - self._sum(self.mu)
        lg = float(self.wu @ (gammaln(t + self.uy) - math.lgamma(t)))
        return (lg + self.wsum * t * math.log(t)
                - self._sum((t + self.y) * np.log(t + self.mu)) + self.const)

    def score_info(self, t: float) -> tuple[float, float]:
        uy, wu = self.uy, self.wu
        tm = t + self.mu
        ratio = (self.y + t) / tm
        u = (float(wu @ (digamma(t + uy) - digamma(t))) + self.wsum * (math.log(t) + 1.0)
             - self._sum(np.log(tm)) - self._sum(ratio))
        i = (float(wu @ (polygamma(1, t) - polygamma(1, t + uy))) - self.wsum / t
             + self._sum((2.0 - ratio) / tm))
        return u, i


def nb_loglik(theta: float, y: np.ndarray, mu: np.ndarray, w: np.ndarray | None = None,
              counts: tuple | None = None) -> float:
    """NB2 log-likelihood (full, with ``-lgamma(y + 1)``); ``theta = inf`` gives the Poisson."""
    return _Profile(y, mu, w, counts).loglik(theta)


def theta_score(theta: float, y, mu, w=None) -> tuple[float, float]:
    """``(U(theta), I(theta))``: score and observed information of the log-likelihood in theta."""
    return _Profile(y, mu, w).score_info(theta)


def poisson_limit_score(y, mu, w=None) -> float:
    r"""Derivative of the profile log-likelihood in alpha at alpha = 0 (> 0: overdispersed)."""
    v = (y - mu) ** 2 - y
    return float(0.5 * (v.sum() if w is None else w @ v))


def theta_ml(y: np.ndarray, mu: np.ndarray, w: np.ndarray | None = None,
             start: float | None = None, tol: float = 1e-10, max_iter: int = 100,
             counts: tuple | None = None) -> float:
    """ML estimate of theta for fixed means ``mu``; ``inf`` in the Poisson limit.

    y, mu, w: (n,). Newton's method on ``log theta`` (the likelihood is closer to quadratic there
    and theta stays positive), from ``start`` or MASS's moment estimate
    ``n / sum(w (y / mu - 1)^2)``, halving any step that lowers the likelihood. ``counts``: a
    :func:`count_table` of (y, w) to reuse across calls.
    """
    # the Poisson-limit check is for a fresh estimate or one drifting out (a warm start at a
    # moderate theta that the data overdisperse cannot jump to the boundary in one call)
    warm = start is not None and 0 < start < 1e4
    if not warm and poisson_limit_score(y, mu, w) <= 0:
        return math.inf
    prof = _Profile(y, mu, w, counts)
    if start is None or not (0 < start < _THETA_MAX):
        start = prof.wsum / prof._sum((y / mu - 1.0) ** 2)
    s = math.log(start)
    ll = None  # the likelihood at s, evaluated only when a step needs the safeguard
    for _ in range(max_iter):
        t = math.exp(s)
        u, info = prof.score_info(t)
        # chain rule to log theta: dl/ds = t U, d2l/ds2 = t U - t^2 I
        g, h = t * u, t * u - t * t * info
        step = -g / h if h < 0 else math.copysign(1.0, g)  # not concave here: move uphill by 1
        if h < 0 and abs(step) < 0.1:
            # a short Newton step in the concave region: the quadratic model is trusted there,
            # which saves the O(n) likelihood evaluations of the safeguard below
            s, ll = s + step, None
        else:
            ll = prof.loglik(math.exp(s)) if ll is None else ll
            for _ in range(50):
                cand = prof.loglik(math.exp(s + step))
                if cand >= ll - 1e-12 * abs(ll):
                    break
                step /= 2
            s, ll = s + step, cand
        if math.exp(s) > _THETA_MAX:
            return math.inf
        if abs(step) < tol:
            break
    return math.exp(s)
