"""Non-likelihood regression losses with the family contract (identity link, ``mu = eta``).

Each loss has ``unit_deviance(y, mu)`` (twice the per-sample loss, so that ``loss`` is, like a
family's, the weighted mean of ``unit_deviance / 2``), ``pointwise_loss``, ``loss``, ``mean`` and
``gradient_hessian(y, eta) -> (g, W)``. For the non-smooth losses ``W`` is the constant
surrogate scikit-learn uses for them (1 for absolute error; 1 inside and 0 outside the Huber
threshold, i.e. the curvature where it exists), so ``W`` is *not* a Fisher weight: fit them with
gradient methods or IRLS-like majorisation, not with Fisher scoring.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from . import _xp
from ._family_base import check_weights, first_bad
from ._registry import registry_key
from .links import Identity

__all__ = ["Loss", "SquaredError", "AbsoluteError", "Huber", "LOSSES", "get_loss"]


class Loss(ABC):
    """Base: subclasses implement ``_half_loss`` and ``_grad_hess`` of the residual ``mu - y``."""

    name: ClassVar[str] = ""
    scale_fixed: ClassVar[bool] = False

    def __init__(self) -> None:
        self.link = Identity()

    @property
    def params(self) -> dict[str, float]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.params == self.params  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.params.items())))

    def check_y(self, y: Any, sample_weight: Any = None) -> Any:
        """``y`` as floats; raises ``ValueError`` naming the first non-finite entry."""
        y = _xp.as_float(y)
        xp = _xp.namespace(y)
        first_bad(~xp.isfinite(y), y, "a finite number", self.name)
        check_weights(sample_weight, y, xp)
        return y

    def mean(self, eta: Any) -> Any:
        """``mu = eta`` (identity link)."""
        return _xp.as_float(eta)

    def _residual(self, y: Any, mu: Any) -> tuple[Any, Any]:
        y, mu = _xp.as_float(y), _xp.as_float(mu)
        return _xp.namespace(y, mu), mu - y

    def unit_deviance(self, y: Any, mu: Any) -> Any:
        """Twice the per-sample loss, shape ``(n,)``."""
        xp, r = self._residual(y, mu)
        return 2.0 * self._half_loss(xp, r)

    def pointwise_loss(self, y: Any, eta: Any) -> Any:
        xp, r = self._residual(y, eta)
        return self._half_loss(xp, r)

    def loss(self, y: Any, eta: Any, sample_weight: Any = None) -> Any:
        """Weighted mean of the per-sample loss (0-d array)."""
        pl = self.pointwise_loss(y, eta)
        xp = _xp.namespace(pl)
        w = check_weights(sample_weight, pl, xp)
        return xp.mean(pl) if w is None else xp.sum((w / xp.sum(w)) * pl)

    def gradient_hessian(self, y: Any, eta: Any, sample_weight: Any = None) -> tuple[Any, Any]:
        """``(g, W)``, each ``(n,)``: derivative of the per-sample loss in ``eta`` and curvature."""
        xp, r = self._residual(y, eta)
        g, h = self._grad_hess(xp, r)
        w = check_weights(sample_weight, r, xp)
        return (g, h) if w is None else (g * w, h * w)

    def starting_mu(self, y: Any, sample_weight: Any = None) -> Any:
        return _xp.as_float(y)

    @abstractmethod
    def _half_loss(self, xp: Any, r: Any) -> Any:
        """Per-sample loss as a function of the residual ``r = mu - y``."""

    @abstractmethod
    def _grad_hess(self, xp: Any, r: Any) -> tuple[Any, Any]:
        """``(d loss / d r, curvature surrogate)``."""


class SquaredError(Loss):
    """The lecture's square error: ``loss_i = (y - mu)^2 / 2``, ``g = mu - y``, ``W = 1``.

    Identical to the Gaussian family's loss; provided so networks can name it.
    """

    name = "squared_error"

    def _half_loss(self, xp, r):
        return 0.5 * r * r

    def _grad_hess(self, xp, r):
        return r, xp.ones_like(r)


class AbsoluteError(Loss):
    """``loss_i = |y - mu|``, ``g = sign(mu - y)`` (0 at a tie), ``W = 1`` (surrogate)."""

    name = "absolute_error"

    def _half_loss(self, xp, r):
        return xp.abs(r)

    def _grad_hess(self, xp, r):
        return xp.sign(r), xp.ones_like(r)


class Huber(Loss):
    """Huber (1964): ``loss_i = r^2/2`` if ``|r| <= delta`` else ``delta (|r| - delta/2)``.

    ``r = mu - y``; ``g = clip(r, -delta, delta)``; ``W = 1`` inside the threshold, 0 outside.
    ``delta = 1.35`` gives 95% efficiency at the normal (in units of the residual scale).
    """

    name = "huber"

    def __init__(self, delta: float = 1.35) -> None:
        delta = float(delta)
        if not (math.isfinite(delta) and delta > 0):
            raise ValueError(f"huber delta must be a finite number > 0, got {delta!r}")
        self.delta = delta
        super().__init__()

    @property
    def params(self):
        return {"delta": self.delta}

    def _half_loss(self, xp, r):
        a = xp.abs(r)
        return xp.where(a <= self.delta, 0.5 * r * r, self.delta * (a - 0.5 * self.delta))

    def _grad_hess(self, xp, r):
        inside = xp.abs(r) <= self.delta
        g = xp.clip(r, min=-self.delta, max=self.delta)
        return g, xp.where(inside, xp.ones_like(r), xp.zeros_like(r))


# Registry at the bottom (style rule 5): tests iterate it.
LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (SquaredError, AbsoluteError, Huber)
}
_ALIASES = {"square_error": "squared_error", "mse": "squared_error", "l2": "squared_error",
            "mae": "absolute_error", "l1": "absolute_error"}


def get_loss(name_or_obj: str | Loss | dict[str, Any], **params: Any) -> Loss:
    """A :class:`Loss` by name (``"huber"``, ``delta=1.0``), ``to_dict()`` mapping or instance."""
    if isinstance(name_or_obj, Loss):
        return name_or_obj
    if isinstance(name_or_obj, dict):
        spec = dict(name_or_obj)
        return get_loss(spec.pop("name"), **spec, **params)
    key = registry_key(str(name_or_obj), LOSSES, _ALIASES, "loss")
    try:
        return LOSSES[key](**params)
    except TypeError as err:
        raise ValueError(f"bad parameters {params} for loss {key!r}: {err}") from None
