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

from reglab.core._counts import value_table

__all__ = ["kernel_for"]

_EPS = float(np.finfo(np.float64).eps)


class _Kernel:
    """``step(a, b, eta) -> (mu, dev_part, g, W)`` for rows a:b; deviance = ``const + sum``,
    ``const = sum_i w_i c(y_i)`` summed over the distinct values of y when they are counts."""

    def __init__(self, y: np.ndarray, sw: np.ndarray | None, const_terms):
        self.y, self.sw = y, sw
        self.ysw = y if sw is None else y * sw
        self.table = value_table(y, sw, sort_fallback=False)
        self.const = self.sum_y(const_terms)

    def sum_y(self, f) -> float:
        """``sum_i w_i f(y_i)`` (f elementwise, of y alone)."""
        if self.table is not None:
            return float(f(self.table[0]) @ self.table[1])
        v = f(self.y)
        return float(v.sum() if self.sw is None else v @ self.sw)

    def refresh(self, a, b, eta, mu):
        """``(dev_part, W)`` for rows a:b at a known ``mu`` (after a change of the family's
        parameter, same link); the default recomputes the whole step."""
        _, dev, _, w = self.step(a, b, eta)
        return dev, w

    def _w(self, a, b, *arrays):
        if self.sw is None:
            return arrays
        s = self.sw[a:b]
        return tuple(v * s for v in arrays)


class _PoissonLog(_Kernel):
    def __init__(self, y, sw, family):
        super().__init__(y, sw, lambda u: 2.0 * (xlogy(u, u) - u))

    def step(self, a, b, eta):
        mu = np.exp(eta)
        musum = mu.sum() if self.sw is None else mu @ self.sw[a:b]
        dev = -2.0 * (self.ysw[a:b] @ eta - musum)
        g, w = self._w(a, b, mu - self.y[a:b], mu)
        return mu, dev, g, w


class _BinomialLogit(_Kernel):
    def __init__(self, y, sw, family):
        super().__init__(y, sw, lambda u: 2.0 * (xlogy(u, u) + xlogy(1.0 - u, 1.0 - u)))

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
        self.y, self.sw, self.ysw, self.table, self.const = y, sw, y, None, 0.0

    def step(self, a, b, eta):
        r = eta - self.y[a:b]
        dev = r @ r if self.sw is None else (r * r) @ self.sw[a:b]
        g, w = self._w(a, b, r, np.ones_like(r))
        return eta, dev, g, w


class _NegBinLog(_Kernel):
    def __init__(self, y, sw, family, base=None):
        self.alpha = a = float(family.alpha)
        if base is None:  # the alpha-free parts, shared by with_family
            super().__init__(y, sw, lambda u: 2.0 * xlogy(u, u))
            self.c0 = self.const
        else:
            self.y, self.sw, self.ysw, self.table, self.c0 = (base.y, base.sw, base.ysw,
                                                              base.table, base.c0)
        self.const = self.c0 - 2.0 * self.sum_y(lambda u: (u + 1.0 / a) * np.log1p(a * u))

    def with_family(self, family):
        """The kernel at another alpha, reusing the parts that do not depend on it."""
        return _NegBinLog(self.y, self.sw, family, base=self)

    def refresh(self, a, b, eta, mu):
        # a new alpha at the same eta: mu is unchanged, only l1, the deviance and W move
        l1 = np.log1p(self.alpha * mu)
        swb = None if self.sw is None else self.sw[a:b]
        dev = -2.0 * (self.ysw[a:b] @ (eta - l1) - (l1.sum() if swb is None else swb @ l1)
                      / self.alpha)
        w = mu / (1.0 + self.alpha * mu)
        return dev, (w if swb is None else w * swb)

    def step(self, a, b, eta):
        mu = np.exp(eta)
        l1 = np.log1p(self.alpha * mu)
        swb = None if self.sw is None else self.sw[a:b]
        dev = -2.0 * (self.ysw[a:b] @ (eta - l1) - (l1.sum() if swb is None else swb @ l1)
                      / self.alpha)
        r = 1.0 / (1.0 + self.alpha * mu)
        g, w = self._w(a, b, (mu - self.y[a:b]) * r, mu * r)
        return mu, dev, g, w


_KERNELS = {("poisson", "log"): _PoissonLog, ("binomial", "logit"): _BinomialLogit,
            ("bernoulli", "logit"): _BinomialLogit, ("gaussian", "identity"): _GaussianIdentity,
            ("negative_binomial", "log"): _NegBinLog}


def kernel_for(family: Any, y: Any, sw: Any, previous: Any = None) -> _Kernel | None:
    """The fused kernel for ``family`` (by family and link name) on float64 NumPy data, or None.
    ``previous``: the kernel of the same (y, sw) under another family, reused when it can be."""
    link = getattr(getattr(family, "link", None), "name", None)
    cls = _KERNELS.get((getattr(family, "name", None), link))
    if cls is not None and type(previous) is cls and hasattr(previous, "with_family"):
        return previous.with_family(family)
    if cls is None or not isinstance(y, np.ndarray) or y.dtype != np.float64:
        return None
    return cls(y, sw, family)
