"""The categorical family: multinomial with one trial over ``K`` classes, softmax link.

The output layer of a softmax classifier and of multinomial logistic regression: the fused
gradient ``softmax(eta) - Y`` of the lecture's "softmax + cross-entropy" pairing is this family's
``gradient_hessian`` (the canonical-link identity ``g = mu - y``), not a special case.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _xp
from ._family_base import Family, check_weights, first_bad, ylog, ylogmu
from .softmax import log_softmax, softmax

__all__ = ["Categorical", "one_hot"]


def one_hot(labels: Any, n_classes: int, dtype: Any = None) -> Any:
    """Integer labels ``(n,)`` in ``0..n_classes-1`` as a one-hot float array ``(n, n_classes)``."""
    xp = _xp.namespace(labels)
    bad = (labels < 0) | (labels >= n_classes) | (xp.round(labels) != labels)
    first_bad(bad, labels, f"a class label in 0..{n_classes - 1}", "categorical")
    classes = xp.arange(n_classes, dtype=labels.dtype, device=_xp.device(labels))
    out = xp.expand_dims(labels, axis=-1) == classes
    return xp.astype(out, xp.float64 if dtype is None else dtype)


class Categorical(Family):
    """Categorical (multinomial with one trial) over ``K`` classes, softmax link.

    ``y``: one-hot or probability rows ``(n, K)``, or integer labels ``(n,)``; ``mu``, ``eta``:
    ``(n, K)``. ``d = 2 sum_k y_k log(y_k / mu_k)``; ``loss = -sum_k y_k log_softmax(eta)_k``
    (cross-entropy); ``g = softmax(eta) - Y`` and the diagonal Fisher weight ``mu (1 - mu)``.
    """

    name = "categorical"
    canonical_link = "multinomial_logit"
    allowed_links = ("multinomial_logit",)
    scale_fixed = True
    y_rule = "a one-hot / probability row or an integer label"

    def check_y(self, y, sample_weight=None):
        y = _xp.as_float(y)
        xp = _xp.namespace(y)
        if y.ndim == 1:
            bad = (y < 0) | (xp.round(y) != y) | ~xp.isfinite(y)
            first_bad(bad, y, "an integer class label >= 0", self.name)
            return y
        bad_entry = (y < 0) | (y > 1) | ~xp.isfinite(y)
        first_bad(xp.any(bad_entry, axis=-1), y, "a row of probabilities in [0, 1]", self.name)
        off = xp.abs(xp.sum(y, axis=-1) - 1.0) > 1e-6
        first_bad(off, xp.sum(y, axis=-1), "a row summing to 1", self.name, what="row sum")
        return y

    def _as_matrix(self, y, k, dtype):
        y = _xp.as_float(y)
        return one_hot(y, k, dtype) if y.ndim == 1 else y

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return mu * (1.0 - mu)

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        return 2.0 * xp.sum(_xp.xlogy(y, y) - ylogmu(xp, y, mu, logmu), axis=-1)

    def unit_deviance(self, y, mu):
        mu = _xp.as_float(mu)
        y = self._as_matrix(y, mu.shape[-1], mu.dtype)
        return self._unit_deviance(_xp.namespace(mu), y, mu, None, None)

    def pointwise_loss(self, y, eta):
        eta = _xp.as_float(eta)
        logmu = log_softmax(eta, axis=-1)
        if isinstance(eta, np.ndarray) and np.ndim(y) == 1 and eta.ndim == 2:
            # integer labels: the one-hot sum -sum_k y_k log mu_k is the one term -log mu_y
            # (the same number, without the (n, K) one-hot matrix)
            labels = np.asarray(y)
            k = eta.shape[-1]
            bad = (labels < 0) | (labels >= k) | (np.round(labels) != labels)
            first_bad(bad, labels, f"a class label in 0..{k - 1}", "categorical")
            rows = np.arange(labels.shape[0])
            return -logmu[rows, labels.astype(np.intp)]
        y = self._as_matrix(y, eta.shape[-1], eta.dtype)
        return 0.5 * self._unit_deviance(_xp.namespace(eta), y, None, logmu, None)

    def loglik(self, y, mu, sample_weight=None, scale=1.0):
        mu = _xp.as_float(mu)
        xp = _xp.namespace(mu)
        y = self._as_matrix(y, mu.shape[-1], mu.dtype)
        terms = xp.sum(ylog(xp, y, xp.log(mu)), axis=-1)
        w = check_weights(sample_weight, terms, xp)
        return xp.sum(terms if w is None else w * terms)

    def gradient_hessian(self, y, eta, sample_weight=None):
        eta = _xp.as_float(eta)
        xp = _xp.namespace(eta)
        y = self._as_matrix(y, eta.shape[-1], eta.dtype)
        p = softmax(eta, axis=-1)
        g, hess = p - y, p * (1.0 - p)
        w = check_weights(sample_weight, g[..., 0], xp)
        if w is None:
            return g, hess
        w = xp.expand_dims(w, axis=-1)
        return g * w, hess * w

    def starting_mu(self, y, sample_weight=None, n_classes=None):
        y = _xp.as_float(y)
        if y.ndim == 1:
            k = n_classes if n_classes is not None else int(_xp.to_numpy(y).max()) + 1
            y = one_hot(y, k)
        return (y + 1.0 / y.shape[-1]) / 2.0
