"""Hidden-layer nonlinearities, each with its derivative beside it.

An :class:`Activation` maps an array ``x`` of any shape elementwise to ``y = f(x)`` (same shape and
dtype). The backward pass is a vector-Jacobian product: since ``f`` acts elementwise its Jacobian is
diagonal, so ``vjp(x, y, g) = g * f'(x)``. ``y`` is the cached forward output; several derivatives
are cheapest from it (sigmoid ``y (1 - y)``, tanh ``1 - y**2``).

Every activation also names the weight initialiser that keeps activations' variance stable through
depth: ``"glorot"`` for the saturating ones (Glorot & Bengio 2010), ``"he"`` for the rectifier
family (He et al. 2015), ``"lecun"`` for SELU (Klambauer et al. 2017).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from . import _xp
from ._registry import registry_key

__all__ = [
    "Activation", "Identity", "Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "SELU",
    "GELU", "GELUTanh", "Softplus", "SiLU", "sigmoid", "ACTIVATIONS", "get_activation",
]

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715
# SELU constants to full double precision (Klambauer et al. 2017, eq. 14).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x: Any) -> Any:
    """Logistic function ``1 / (1 + exp(-x))``, evaluated without overflow for any ``x``.

    Dispatches to the backend's fused ``expit`` kernel (SciPy, ``torch.special``, CuPy, JAX);
    other namespaces use the stable split with ``e = exp(-|x|) <= 1``: ``1 / (1 + e)`` for
    ``x >= 0`` and ``e / (1 + e)`` otherwise, so no branch exponentiates a large number.
    """
    x = _xp.as_float(x)
    xp = _xp.namespace(x)
    if _xp.has_native_special(xp):
        return _xp.special("expit", x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Activation(ABC):
    """Elementwise nonlinearity ``y = f(x)`` with its derivative.

    Subclasses implement ``_forward(xp, x)`` and ``_grad(xp, x, y)`` (= ``f'(x)``, given the cached
    ``y = f(x)``). Parameters (``alpha``) are keyword arguments listed in ``param_names``.
    """

    name: ClassVar[str] = ""
    init: ClassVar[str] = "glorot"
    param_names: ClassVar[tuple[str, ...]] = ()

    def __call__(self, x: Any) -> Any:
        """``f(x)``; ``x`` any shape, result of the same shape and floating dtype."""
        x = _xp.as_float(x)
        return self._forward(_xp.namespace(x), x)

    def derivative(self, x: Any) -> Any:
        """``f'(x)`` elementwise (same shape as ``x``)."""
        x = _xp.as_float(x)
        xp = _xp.namespace(x)
        return self._grad(xp, x, self._forward(xp, x))

    def vjp(self, x: Any, y: Any, g: Any) -> Any:
        """Vector-Jacobian product ``g * f'(x)`` given the cached output ``y = f(x)``.

        ``x``, ``y``, ``g`` share one shape; returns ``dL/dx`` for upstream gradient ``g = dL/dy``.
        """
        x = _xp.as_float(x)
        return g * self._grad(_xp.namespace(x, y, g), x, y)

    @property
    def params(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in self.param_names}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description; ``get_activation(d)`` rebuilds the object."""
        return {"name": self.name, **self.params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.params == self.params  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.params.items())))

    @abstractmethod
    def _forward(self, xp: Any, x: Any) -> Any:
        """``f(x)`` for a floating array ``x`` of namespace ``xp``."""

    @abstractmethod
    def _grad(self, xp: Any, x: Any, y: Any) -> Any:
        """``f'(x)`` given ``y = f(x)``."""


class Identity(Activation):
    """``f(x) = x``, ``f'(x) = 1`` (the output layer of a regression network)."""

    name = "identity"

    def _forward(self, xp, x):
        return x

    def _grad(self, xp, x, y):
        return xp.ones_like(x)


class Step(Activation):
    """Heaviside step of the perceptron: ``f(x) = 1`` if ``x >= 0`` else ``0``.

    ``f'(x) = 0`` almost everywhere, so gradient methods cannot train through it (the reason the
    lecture replaces it by the sigmoid); the perceptron learning rule does not need a derivative.
    """

    name = "step"

    def _forward(self, xp, x):
        return xp.where(x >= 0, xp.ones_like(x), xp.zeros_like(x))

    def _grad(self, xp, x, y):
        return xp.zeros_like(x)


class Sigmoid(Activation):
    """``f(x) = 1 / (1 + exp(-x))``, ``f'(x) = f(x) (1 - f(x))`` (at most 1/4, at x = 0)."""

    name = "sigmoid"

    def _forward(self, xp, x):
        return sigmoid(x)

    def _grad(self, xp, x, y):
        return y * (1.0 - y)


class Tanh(Activation):
    """``f(x) = tanh(x) = 2 sigmoid(2x) - 1``, ``f'(x) = 1 - tanh(x)**2`` (1 at x = 0)."""

    name = "tanh"

    def _forward(self, xp, x):
        return xp.tanh(x)

    def _grad(self, xp, x, y):
        return 1.0 - y * y


class ReLU(Activation):
    """``f(x) = max(0, x)``; ``f'(x) = 1`` for ``x > 0`` else 0 (subgradient 0 at x = 0)."""

    name = "relu"
    init = "he"

    def _forward(self, xp, x):
        return xp.where(x > 0, x, xp.zeros_like(x))

    def _grad(self, xp, x, y):
        return xp.where(x > 0, xp.ones_like(x), xp.zeros_like(x))


class LeakyReLU(Activation):
    """``f(x) = x`` for ``x >= 0`` else ``alpha x``; ``f'(x) = 1`` for ``x > 0`` else ``alpha``."""

    name = "leaky_relu"
    init = "he"
    param_names = ("alpha",)

    def __init__(self, alpha: float = 0.01) -> None:
        alpha = float(alpha)
        if not (math.isfinite(alpha) and alpha >= 0):
            raise ValueError(f"leaky_relu alpha must be a finite number >= 0, got {alpha!r}")
        self.alpha = alpha

    def _forward(self, xp, x):
        return xp.where(x >= 0, x, self.alpha * x)

    def _grad(self, xp, x, y):
        return xp.where(x > 0, xp.ones_like(x), xp.full_like(x, self.alpha))


class ELU(Activation):
    """``f(x) = x`` for ``x > 0`` else ``alpha (exp(x) - 1)``; ``f'(x) = 1`` or ``f(x) + alpha``.

    The negative branch uses ``expm1(min(x, 0))`` so large positive ``x`` never overflows.
    """

    name = "elu"
    init = "he"
    param_names = ("alpha",)

    def __init__(self, alpha: float = 1.0) -> None:
        alpha = float(alpha)
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"elu alpha must be a finite number > 0, got {alpha!r}")
        self.alpha = alpha

    def _forward(self, xp, x):
        neg = self.alpha * xp.expm1(xp.minimum(x, xp.zeros_like(x)))
        return xp.where(x > 0, x, neg)

    def _grad(self, xp, x, y):
        return xp.where(x > 0, xp.ones_like(x), y + self.alpha)


class SELU(ELU):
    """``f(x) = scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al.

    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805``;
    ``f'(x) = scale`` for ``x > 0`` else ``f(x) + scale * alpha``.
    """

    name = "selu"
    init = "lecun"
    param_names = ()

    def __init__(self) -> None:
        self.alpha = SELU_ALPHA

    def _forward(self, xp, x):
        return SELU_SCALE * super()._forward(xp, x)

    def _grad(self, xp, x, y):
        return xp.where(x > 0, xp.full_like(x, SELU_SCALE), y + SELU_SCALE * SELU_ALPHA)


class GELU(Activation):
    """Exact GELU ``f(x) = x Phi(x)`` with ``Phi(x) = erfc(-x / sqrt 2) / 2`` the normal cdf.

    ``f'(x) = Phi(x) + x phi(x)``, ``phi(x) = exp(-x**2 / 2) / sqrt(2 pi)``. ``erfc`` rather than
    ``1 + erf`` keeps relative accuracy in the left tail, where ``1 + erf`` cancels to 0.
    """

    name = "gelu"
    init = "he"

    @staticmethod
    def _cdf(x):
        return 0.5 * _xp.special("erfc", -_INV_SQRT2 * x)

    def _forward(self, xp, x):
        return x * self._cdf(x)

    def _grad(self, xp, x, y):
        return self._cdf(x) + x * (_INV_SQRT_2PI * xp.exp(-0.5 * x * x))


class GELUTanh(Activation):
    """Tanh approximation of GELU (Hendrycks & Gimpel 2016).

    ``f(x) = x (1 + tanh(u)) / 2`` with ``u = sqrt(2/pi) (x + 0.044715 x**3)``;
    ``f'(x) = (1 + t) / 2 + x (1 - t**2) sqrt(2/pi) (1 + 3 * 0.044715 x**2) / 2``, ``t = tanh(u)``.
    """

    name = "gelu_tanh"
    init = "he"

    @staticmethod
    def _t(xp, x):
        return xp.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x * x * x))

    def _forward(self, xp, x):
        return 0.5 * x * (1.0 + self._t(xp, x))

    def _grad(self, xp, x, y):
        t = self._t(xp, x)
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)
        return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du


class Softplus(Activation):
    """``f(x) = log(1 + exp(x))`` computed as ``logaddexp(0, x)``; ``f'(x) = sigmoid(x)``."""

    name = "softplus"
    init = "he"

    def _forward(self, xp, x):
        return xp.logaddexp(xp.zeros_like(x), x)

    def _grad(self, xp, x, y):
        return sigmoid(x)


class SiLU(Activation):
    """SiLU / swish ``f(x) = x sigmoid(x)``; ``f'(x) = s (1 + x (1 - s))``, ``s = sigmoid(x)``."""

    name = "silu"
    init = "he"

    def _forward(self, xp, x):
        return x * sigmoid(x)

    def _grad(self, xp, x, y):
        s = sigmoid(x)
        return s * (1.0 + x * (1.0 - s))


# Registry at the bottom (style rule 5): tests iterate it, so a new activation is tested on arrival.
ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls
    for cls in (Identity, Step, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, GELU, GELUTanh,
                Softplus, SiLU)
}
_ALIASES = {"logistic": "sigmoid", "swish": "silu", "linear": "identity"}


def get_activation(name_or_obj: str | Activation | dict[str, Any], **params: Any) -> Activation:
    """An :class:`Activation` from its name (``"relu"``), a ``to_dict()`` mapping, or an instance.

    ``params`` are passed to the constructor (``get_activation("leaky_relu", alpha=0.2)``).
    Raises ``ValueError`` naming the unknown activation and the known ones.
    """
    if isinstance(name_or_obj, Activation):
        if params:
            raise ValueError(f"parameters {sorted(params)} given with an Activation instance")
        return name_or_obj
    if isinstance(name_or_obj, dict):
        spec = dict(name_or_obj)
        return get_activation(spec.pop("name"), **spec, **params)
    if not isinstance(name_or_obj, str):
        kind = type(name_or_obj).__name__
        raise TypeError(f"activation must be a name or Activation, got {kind}")
    key = registry_key(name_or_obj, ACTIVATIONS, _ALIASES, "activation")
    try:
        return ACTIVATIONS[key](**params)
    except TypeError as err:
        raise ValueError(f"bad parameters {params} for activation {key!r}: {err}") from None
