"""The :class:`Family` base class and the input checks shared by all families.

See :mod:`reglab.core.families` for the formulas; this module holds the generic machinery:
validation, weighting, the stable eta-space loss, and the generic gradient and Fisher weight.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from . import _xp
from .links import Link, get_link

__all__ = ["Family", "check_weights", "first_bad", "ylog", "log_or", "ylogmu"]


def first_bad(mask: Any, values: Any, rule: str, family: str, what: str = "y") -> None:
    """Raise ``ValueError`` naming the first entry where ``mask`` holds, its value and the rule."""
    xp = _xp.namespace(mask)
    if not bool(xp.any(mask)):
        return
    m = np.asarray(_xp.to_numpy(mask))
    idx = np.unravel_index(int(np.argmax(m)), m.shape)
    value = np.asarray(_xp.to_numpy(values))[idx].item()
    where = ", ".join(str(int(i)) for i in idx)
    raise ValueError(f"{family} family: {what}[{where}] = {value!r} is invalid; expected {rule}")


def check_weights(sample_weight: Any, like: Any, xp: Any) -> Any:
    """``sample_weight`` as a ``(n,)`` array of ``like``'s dtype and namespace, checked finite, >= 0
    and not all zero (``n = like.shape[0]``); ``None`` passes through."""
    if sample_weight is None:
        return None
    w = _xp.as_float(sample_weight)
    if _xp.namespace(w) is not xp:  # e.g. NumPy weights for CUDA tensors: move them beside y
        w = xp.asarray(np.asarray(_xp.to_numpy(w)), device=_xp.device(like))
    w = xp.astype(w, like.dtype)
    n = like.shape[0] if like.ndim else 1
    if w.shape != (n,):
        raise ValueError(f"sample_weight has shape {tuple(w.shape)}, expected ({n},)")
    first_bad(~xp.isfinite(w) | (w < 0), w, "a finite weight >= 0", "sample", "sample_weight")
    if not bool(xp.sum(w) > 0):
        raise ValueError("sample_weight sums to 0: no sample carries weight")
    return w


def ylog(xp: Any, a: Any, log_b: Any) -> Any:
    """``a * log_b`` with ``0 * log 0 = 0`` (``log_b`` may be ``-inf`` where ``a`` is 0)."""
    return a * xp.where(a == 0, xp.zeros_like(log_b), log_b)


def log_or(xp: Any, mu: Any, logmu: Any) -> Any:
    """``logmu`` when the caller has it (exact, from eta), else ``log(mu)``."""
    return xp.log(mu) if logmu is None else logmu


def ylogmu(xp: Any, y: Any, mu: Any, logmu: Any) -> Any:
    """``y log mu`` with ``0 log 0 = 0``, from ``logmu`` when given (exact) else from ``mu``
    (never evaluating ``log 0`` where ``y = 0``, e.g. a one-hot prediction at a perfect fit)."""
    return _xp.xlogy(y, mu) if logmu is None else ylog(xp, y, logmu)


class Family(ABC):
    """A response distribution with its link. See :mod:`reglab.core.families` for the contract.

    Subclasses set ``name``, ``canonical_link``, ``allowed_links`` (R's choices), ``scale_fixed``,
    ``y_rule`` (the valid range, in words) and implement ``variance``, ``_unit_deviance`` and
    ``_loglik_terms`` (per-sample log density, before weighting).
    """

    name: ClassVar[str] = ""
    canonical_link: ClassVar[str] = "identity"
    allowed_links: tuple[str, ...] = ()
    scale_fixed: ClassVar[bool] = False
    y_rule: Any = "any finite number"
    # Gaussian log-likelihood uses precision weights (R's gaussian()$aic): its terms weight
    # themselves; every other family multiplies per-sample log densities by frequency weights.
    _precision_weights: ClassVar[bool] = False
    # whether _unit_deviance reads log(mu) (then pointwise_loss supplies it exactly from eta)
    _uses_logmu: Any = True

    def __init__(self, link: str | Link | None = None) -> None:
        lk = get_link(self.canonical_link if link is None else link)
        if lk.name not in self.allowed_links:
            raise ValueError(f"link {lk.name!r} is not available for the {self.name} family; "
                             f"choose one of {', '.join(self.allowed_links)}")
        self.link = lk

    # -- description -------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description; ``get_family(d)`` rebuilds the object."""
        return {"name": self.name, "link": self.link.name, **self.params}

    def __repr__(self) -> str:
        args = ", ".join([f"link={self.link.name!r}", *(f"{k}={v!r}" for k, v in
                                                          self.params.items())])
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Family) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().items()))

    # -- validation --------------------------------------------------------------------------
    def _y_invalid(self, xp: Any, y: Any) -> Any:
        return xp.zeros_like(y, dtype=xp.bool)

    def check_y(self, y: Any, sample_weight: Any = None) -> Any:
        """``y`` as a float array after checking it lies in the family's range.

        Raises ``ValueError`` naming the first offending index and value (``y[3] = -1.0``).
        """
        y = _xp.as_float(y)
        xp = _xp.namespace(y)
        first_bad(~xp.isfinite(y), y, "a finite number", self.name)
        first_bad(self._y_invalid(xp, y), y, self.y_rule, self.name)
        check_weights(sample_weight, y, xp)
        return y

    def _prepare(self, y: Any, a: Any, sample_weight: Any) -> tuple[Any, Any, Any, Any]:
        y, a = _xp.as_float(y), _xp.as_float(a)
        xp = _xp.namespace(y, a)
        return y, a, check_weights(sample_weight, a, xp), xp

    # -- distribution ------------------------------------------------------------------------
    def mean(self, eta: Any) -> Any:
        """``mu = link.inverse(eta)``."""
        return self.link.inverse(eta)

    @abstractmethod
    def variance(self, mu: Any) -> Any:
        """Unit variance ``V(mu)`` (shape of ``mu``)."""

    @abstractmethod
    def _unit_deviance(self, xp: Any, y: Any, mu: Any, logmu: Any, log1m: Any) -> Any:
        """``d(y, mu)`` given ``mu``, ``log mu`` and (binomial) ``log(1 - mu)``."""

    def _loglik_terms(self, xp: Any, y: Any, mu: Any, w: Any, scale: float) -> Any:
        raise ValueError(f"{self.name} family has no per-sample log-likelihood")

    def unit_deviance(self, y: Any, mu: Any) -> Any:
        """``d(y, mu)`` per sample, shape ``(n,)``; 0 where ``y == mu``."""
        y, mu, _, xp = self._prepare(y, mu, None)
        return self._unit_deviance(xp, y, mu, None, None)

    def deviance(self, y: Any, mu: Any, sample_weight: Any = None) -> Any:
        """``sum_i w_i d(y_i, mu_i)`` (a 0-d array)."""
        y, mu, w, xp = self._prepare(y, mu, sample_weight)
        d = self.unit_deviance(y, mu)
        return xp.sum(d if w is None else w * d)

    def loglik(self, y: Any, mu: Any, sample_weight: Any = None, scale: float = 1.0) -> Any:
        """Full log-likelihood ``sum_i w_i log p(y_i | mu_i, scale)``, constants included.

        ``scale`` is the dispersion ``phi`` (``sigma^2`` for the Gaussian); fixed-scale families
        (``scale_fixed``) ignore it, as R's ``aic`` does.
        """
        scale = float(scale)
        if not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
        y, mu, w, xp = self._prepare(y, mu, sample_weight)
        if self._precision_weights:
            return xp.sum(self._loglik_terms(xp, y, mu, xp.ones_like(y) if w is None else w, scale))
        terms = self._loglik_terms(xp, y, mu, w, scale)
        return xp.sum(terms if w is None else w * terms)

    # -- loss and derivatives with respect to eta --------------------------------------------
    def pointwise_loss(self, y: Any, eta: Any) -> Any:
        """``d(y_i, mu(eta_i)) / 2`` per sample, computed from ``eta`` (exact in the tails)."""
        y, eta, _, xp = self._prepare(y, eta, None)
        mu = self.mean(eta)
        logmu = self.link.log_inverse(eta) if self._uses_logmu else None
        log1m = self.link.log1m_inverse(eta) if self.link.domain == "unit" else None
        return 0.5 * self._unit_deviance(xp, y, mu, logmu, log1m)

    def loss(self, y: Any, eta: Any, sample_weight: Any = None) -> Any:
        """Weighted mean ``sum_i w_i d(y_i, mu_i) / (2 sum_i w_i)`` (a 0-d array)."""
        pl = self.pointwise_loss(y, eta)
        xp = _xp.namespace(pl)
        w = check_weights(sample_weight, pl, xp)
        if w is None:
            return xp.mean(pl)
        # normalise the weights first so a batch of huge (but finite) terms cannot overflow
        return xp.sum((w / xp.sum(w)) * pl)

    def gradient_hessian(self, y: Any, eta: Any, sample_weight: Any = None) -> tuple[Any, Any]:
        """``(g, W)``, each ``(n,)``: ``g = (mu - y) mu' / V(mu)``, ``W = mu'^2 / V(mu)``, times w.

        ``mu' = d mu / d eta``. ``g`` is the derivative of ``pointwise_loss`` with respect to
        ``eta``; ``W`` its expected second derivative (the Fisher weight of IRLS).
        """
        y, eta, w, xp = self._prepare(y, eta, sample_weight)
        mu = self.mean(eta)
        dmu = self.link.inverse_derivative(eta)
        r = dmu / self.variance(mu)
        g, hess = (mu - y) * r, dmu * r
        return (g, hess) if w is None else (g * w, hess * w)

    def starting_mu(self, y: Any, sample_weight: Any = None) -> Any:
        """Initial ``mu`` for IRLS (R's ``mustart``); ``y`` itself unless the family overrides."""
        return _xp.as_float(y)
