r"""Fused NumPy kernels for the IRLS sweep of the most used canonical families.

A sweep needs, per row block, ``mu``, the block's deviance, and ``(g, W)``. Through the generic
``Family`` API that is three calls (``mean``, ``deviance``, ``gradient_hessian``), each
re-deriving ``mu`` and dispatching on the array namespace, ~3x the arithmetic of the fused form.
For canonical links the deviance also splits into a constant and a part linear in simple
functions of ``eta``:

- Poisson/log:      ``d = 2 [y log y - y] - 2 [y eta - mu]``,          ``g = mu - y``, ``W = mu``
- Bernoulli/binomial/logit:
  ``d = 2 [xlogy(y, y) + xlogy(1-y, 1-y)] - 2 [y log mu + (1-y) log(1-mu)]``, ``g = mu - y``,
  ``W = max(mu (1 - mu), eps)`` (the core logit link's floor)
- Gaussian/identity: ``d = (y - eta)^2``, ``g = eta - y``, ``W = 1``
- NB2/log (alpha):  ``d = 2 [xlogy(y, y) - (y + 1/a) log1p(a y)] - 2 [y eta - (y + 1/a)
  log1p(a mu)]``, ``g = (mu - y) / (1 + a mu)``, ``W = mu / (1 + a mu)``

(all times the prior weights), so the constant is summed once per fit. The generic path remains
the definition: ``tests/solvers/test_irls.py`` checks every kernel against its family's methods.
Kernels are used for NumPy float64 data only and return ``None`` for anything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, xlogy

__all__ = ["kernel_for"]

_EPS = float(np.finfo(np.float64).eps)


class _Kernel:
    """``step(a, b, eta) -> (mu, dev_part, g, W)`` for rows a:b; deviance = ``const + sum``."""

    def __init__(self, y: np.ndarray, sw: np.ndarray | None, const_terms: np.ndarray):
        self.y, self.sw = y, sw
        self.ysw = y if sw is None else y * sw
        self.const = float(const_terms.sum() if sw is None else const_terms @ sw)

    def _w(self, a, b, *arrays):
        if self.sw is None:
            return arrays
        s = self.sw[a:b]
        return tuple(v * s for v in arrays)


class _PoissonLog(_Kernel):
    def __init__(self, y, sw, family):
        super().__init__(y, sw, 2.0 * (xlogy(y, y) - y))

    def step(self, a, b, eta):
        mu = np.exp(eta)
        musum = mu.sum() if self.sw is None else mu @ self.sw[a:b]
        dev = -2.0 * (self.ysw[a:b] @ eta - musum)
        g, w = self._w(a, b, mu - self.y[a:b], mu)
        return mu, dev, g, w


class _BinomialLogit(_Kernel):
    def __init__(self, y, sw, family):
        super().__init__(y, sw, 2.0 * (xlogy(y, y) + xlogy(1.0 - y, 1.0 - y)))

    def step(self, a, b, eta):
        # mu clamped into [eps, 1 - eps] as the core logit link (and R) do; the deviance uses
        # that mu, so saturated fits agree with Family.deviance too
        mu = np.clip(expit(eta), _EPS, 1.0 - _EPS)
        y = self.y[a:b]
        t = y * np.log(mu) + (1.0 - y) * np.log1p(-mu)
        dev = -2.0 * (t.sum() if self.sw is None else t @ self.sw[a:b])
        s = expit(-np.abs(eta))
        g, w = self._w(a, b, mu - self.y[a:b], np.maximum(s * (1.0 - s), _EPS))
        return mu, dev, g, w


class _GaussianIdentity(_Kernel):
    def __init__(self, y, sw, family):
        super().__init__(y, sw, np.zeros(1) if sw is None else np.zeros_like(y))

    def step(self, a, b, eta):
        r = eta - self.y[a:b]
        dev = r @ r if self.sw is None else (r * r) @ self.sw[a:b]
        g, w = self._w(a, b, r, np.ones_like(r))
        return eta, dev, g, w


class _NegBinLog(_Kernel):
    def __init__(self, y, sw, family):
        self.alpha = a = float(family.alpha)
        self.yr = y + 1.0 / a
        super().__init__(y, sw, 2.0 * (xlogy(y, y) - self.yr * np.log1p(a * y)))
        self.yrsw = self.yr if sw is None else self.yr * sw

    def step(self, a, b, eta):
        mu = np.exp(eta)
        l1 = np.log1p(self.alpha * mu)
        dev = -2.0 * (self.ysw[a:b] @ eta - self.yrsw[a:b] @ l1)
        r = 1.0 / (1.0 + self.alpha * mu)
        g, w = self._w(a, b, (mu - self.y[a:b]) * r, mu * r)
        return mu, dev, g, w


_KERNELS = {("poisson", "log"): _PoissonLog, ("binomial", "logit"): _BinomialLogit,
            ("bernoulli", "logit"): _BinomialLogit, ("gaussian", "identity"): _GaussianIdentity,
            ("negative_binomial", "log"): _NegBinLog}


def kernel_for(family: Any, y: Any, sw: Any) -> _Kernel | None:
    """The fused kernel for ``family`` (by family and link name) on float64 NumPy data, or None."""
    link = getattr(getattr(family, "link", None), "name", None)
    cls = _KERNELS.get((getattr(family, "name", None), link))
    if cls is None or not isinstance(y, np.ndarray) or y.dtype != np.float64:
        return None
    return cls(y, sw, family)
