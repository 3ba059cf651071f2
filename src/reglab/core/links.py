"""Link functions ``eta = g(mu)`` of generalised linear models, each with its derivatives.

A :class:`Link` maps the mean ``mu`` to the linear predictor ``eta``; all methods are elementwise
on arrays of any shape except :class:`MultinomialLogit`, which acts on rows of shape ``(..., K)``.

- ``link(mu) = g(mu)``, ``inverse(eta) = g^{-1}(eta)``
- ``derivative(mu) = d eta / d mu = g'(mu)``
- ``inverse_derivative(eta) = d mu / d eta``, ``inverse_second_derivative(eta) = d^2 mu / d eta^2``
- ``log_inverse(eta) = log mu`` and ``log1m_inverse(eta) = log(1 - mu)``, exact in the tails
  where ``mu`` itself rounds to 0 or 1 (used by the families' losses).

Saturation, following R's ``make.link``: probit keeps ``|eta| <= -ndtri(eps)`` (8.1 in
float64), logit and cloglog clamp ``mu`` into ``[eps, 1 - eps]``, so ``mu`` never reaches 0 or 1;
the logit, probit and cloglog ``inverse_derivative`` are floored at ``eps`` so IRLS weights stay
positive. The log link clips ``eta`` to ``[-B, B]``, ``B = (log(float max) - 2) / 3``
(:func:`_xp.exp_bound`).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from . import _xp
from ._link_base import Link, _eps, _prep
from ._registry import registry_key
from .activations import sigmoid
from .softmax import log_softmax, softmax, softmax_jacobian

__all__ = [
    "Link", "Identity", "Logit", "Probit", "CLogLog", "Log", "Inverse", "InverseSquared", "Sqrt",
    "MultinomialLogit", "LINKS", "get_link",
]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Identity(Link):
    """``eta = mu``; all derivatives 1 (second 0)."""

    name = "identity"

    def _link(self, xp, mu):
        return mu

    def _inverse(self, xp, eta):
        return eta

    def _derivative(self, xp, mu):
        return xp.ones_like(mu)

    def _inverse_derivative(self, xp, eta):
        return xp.ones_like(eta)

    def _inverse_second_derivative(self, xp, eta):
        return xp.zeros_like(eta)


class Logit(Link):
    """``eta = log(mu / (1 - mu))``, ``mu = sigmoid(eta)``; ``d mu/d eta = mu (1 - mu)``.

    ``d^2 mu / d eta^2 = mu (1 - mu) (1 - 2 mu)``. ``log mu = -softplus(-eta)`` and
    ``log(1 - mu) = -softplus(eta)`` are exact for any ``eta``.
    """

    name = "logit"
    domain = "unit"

    def _link(self, xp, mu):
        return xp.log(mu) - xp.log1p(-mu)

    def _inverse(self, xp, eta):
        # clamp into [eps, 1 - eps] as R's logit linkinv does: a saturated fit (perfect
        # separation) then has a finite deviance(y, mu) and a positive variance mu (1 - mu);
        # losses computed from eta (log_inverse) stay exact
        eps = _eps(eta, xp)
        return xp.clip(sigmoid(eta), min=eps, max=1.0 - eps)

    def _derivative(self, xp, mu):
        return 1.0 / (mu * (1.0 - mu))

    def _dmu(self, xp, eta):
        # s (1 - s) at s = sigmoid(-|eta|) <= 1/2: symmetric in eta, and s keeps full relative
        # precision in the tail where 1 - sigmoid(|eta|) would cancel to 0
        s = sigmoid(-xp.abs(eta))
        return s * (1.0 - s)

    def _inverse_derivative(self, xp, eta):
        return xp.maximum(self._dmu(xp, eta), xp.full_like(eta, _eps(eta, xp)))

    def _inverse_second_derivative(self, xp, eta):
        return self._dmu(xp, eta) * (1.0 - 2.0 * sigmoid(eta))

    def log_inverse(self, eta):
        xp, eta = _prep(eta)
        return -xp.logaddexp(xp.zeros_like(eta), -eta)

    def log1m_inverse(self, eta):
        xp, eta = _prep(eta)
        return -xp.logaddexp(xp.zeros_like(eta), eta)


class Probit(Link):
    """``eta = Phi^{-1}(mu)``, ``mu = Phi(eta)`` (normal cdf); ``d mu/d eta = phi(eta)``.

    ``d^2 mu / d eta^2 = -eta phi(eta)``; ``d eta / d mu = 1 / phi(Phi^{-1}(mu))``.
    """

    name = "probit"
    domain = "unit"

    @staticmethod
    def _clip(xp, eta):
        t = -NormalDist().inv_cdf(_eps(eta, xp))  # 8.12 in float64, 5.17 in float32
        return xp.clip(eta, min=-t, max=t)

    def _link(self, xp, mu):
        return _xp.special("ndtri", mu)

    def _inverse(self, xp, eta):
        return _xp.special("ndtr", self._clip(xp, eta))

    def _derivative(self, xp, mu):
        q = _xp.special("ndtri", mu)
        return 1.0 / (_INV_SQRT_2PI * xp.exp(-0.5 * q * q))

    def _phi(self, xp, eta):
        # phi(eta) at moderate |eta|; beyond ~1e4 the square would overflow float32, and phi is 0
        e = xp.clip(eta, min=-100.0, max=100.0)
        return _INV_SQRT_2PI * xp.exp(-0.5 * e * e)

    def _inverse_derivative(self, xp, eta):
        return xp.maximum(self._phi(xp, eta), xp.full_like(eta, _eps(eta, xp)))

    def _inverse_second_derivative(self, xp, eta):
        return -xp.clip(eta, min=-100.0, max=100.0) * self._phi(xp, eta)


class CLogLog(Link):
    """``eta = log(-log(1 - mu))``, ``mu = 1 - exp(-exp(eta))``.

    ``d mu/d eta = exp(eta - exp(eta))``, ``d^2 mu/d eta^2 = exp(eta - exp(eta)) (1 - exp(eta))``,
    ``d eta/d mu = -1 / ((1 - mu) log(1 - mu))``.
    """

    name = "cloglog"
    domain = "unit"

    def _link(self, xp, mu):
        return xp.log(-xp.log1p(-mu))

    def _inverse(self, xp, eta):
        eps = _eps(eta, xp)
        mu = -xp.expm1(-xp.exp(xp.clip(eta, max=_xp.exp_bound(eta, xp))))
        return xp.clip(mu, min=eps, max=1.0 - eps)

    def _derivative(self, xp, mu):
        return -1.0 / ((1.0 - mu) * xp.log1p(-mu))

    def _exp_terms(self, xp, eta):
        e = xp.clip(eta, min=-_xp.exp_bound(eta, xp), max=_xp.exp_bound(eta, xp))
        ee = xp.exp(e)
        return ee, xp.exp(e - ee)

    def _inverse_derivative(self, xp, eta):
        _, d = self._exp_terms(xp, eta)
        return xp.maximum(d, xp.full_like(eta, _eps(eta, xp)))

    def _inverse_second_derivative(self, xp, eta):
        ee, d = self._exp_terms(xp, eta)
        return d * (1.0 - ee)


class Log(Link):
    """``eta = log(mu)``, ``mu = exp(eta)``; ``d mu/d eta = d^2 mu/d eta^2 = mu``, ``g' = 1/mu``.

    ``eta`` is clipped to ``[-B, B]`` (``B`` = 235.9 in float64, 28.9 in float32).
    """

    name = "log"
    domain = "positive"

    def _link(self, xp, mu):
        return xp.log(mu)

    def _inverse(self, xp, eta):
        b = _xp.exp_bound(eta, xp)
        return xp.exp(xp.clip(eta, min=-b, max=b))

    def _derivative(self, xp, mu):
        return 1.0 / mu

    def _inverse_derivative(self, xp, eta):
        return self._inverse(xp, eta)

    def _inverse_second_derivative(self, xp, eta):
        return self._inverse(xp, eta)

    def log_inverse(self, eta):
        xp, eta = _prep(eta)
        b = _xp.exp_bound(eta, xp)
        return xp.clip(eta, min=-b, max=b)


class Inverse(Link):
    """``eta = 1/mu``, ``mu = 1/eta``; ``d mu/d eta = -1/eta^2``, second ``2/eta^3``."""

    name = "inverse"
    domain = "positive"

    def _link(self, xp, mu):
        return 1.0 / mu

    def _inverse(self, xp, eta):
        return 1.0 / eta

    def _derivative(self, xp, mu):
        return -1.0 / (mu * mu)

    def _inverse_derivative(self, xp, eta):
        return -1.0 / (eta * eta)

    def _inverse_second_derivative(self, xp, eta):
        return 2.0 / (eta * eta * eta)


class InverseSquared(Link):
    """``eta = 1/mu^2``, ``mu = eta^{-1/2}``; ``d mu/d eta = -eta^{-3/2}/2``, second
    ``3 eta^{-5/2}/4``; ``g'(mu) = -2/mu^3``. The canonical link of the inverse Gaussian."""

    name = "inverse_squared"
    domain = "positive"

    def _link(self, xp, mu):
        return 1.0 / (mu * mu)

    def _inverse(self, xp, eta):
        return 1.0 / xp.sqrt(eta)

    def _derivative(self, xp, mu):
        return -2.0 / (mu * mu * mu)

    def _inverse_derivative(self, xp, eta):
        return -0.5 / (eta * xp.sqrt(eta))

    def _inverse_second_derivative(self, xp, eta):
        return 0.75 / (eta * eta * xp.sqrt(eta))


class Sqrt(Link):
    """``eta = sqrt(mu)``, ``mu = eta^2``; ``dmu/deta = 2 eta``, second 2; ``g' = 0.5/sqrt(mu)``."""

    name = "sqrt"
    domain = "positive"

    def _link(self, xp, mu):
        return xp.sqrt(mu)

    def _inverse(self, xp, eta):
        return eta * eta

    def _derivative(self, xp, mu):
        return 0.5 / xp.sqrt(mu)

    def _inverse_derivative(self, xp, eta):
        return 2.0 * eta

    def _inverse_second_derivative(self, xp, eta):
        return xp.full_like(eta, 2.0)


class MultinomialLogit(Link):
    """Softmax link on rows: ``mu = softmax(eta)``, ``eta = log mu - mean_k log mu_k``.

    ``mu``, ``eta``: shape ``(..., K)``. ``eta`` is identified only up to a constant per row; the
    link returns the sum-to-zero representative. Derivatives are Jacobians over the last axis:
    ``inverse_derivative(eta)[..., k, j] = d mu_k / d eta_j = mu_k (delta_kj - mu_j)`` (..., K, K);
    ``derivative(mu)[..., k, j] = d eta_k / d mu_j = delta_kj / mu_j - 1 / (K mu_j)``;
    ``inverse_second_derivative(eta)[..., k, i, j] = d^2 mu_k / d eta_i d eta_j``
    ``= J_kj (delta_ki - mu_i) - mu_k J_ij`` (..., K, K, K).
    """

    name = "multinomial_logit"
    domain = "simplex"

    def _link(self, xp, mu):
        lg = xp.log(mu)
        return lg - xp.mean(lg, axis=-1, keepdims=True)

    def _inverse(self, xp, eta):
        return softmax(eta, axis=-1)

    def _derivative(self, xp, mu):
        k = mu.shape[-1]
        row = xp.expand_dims(1.0 / mu, axis=-2)
        return (xp.eye(k, dtype=mu.dtype, device=_xp.device(mu)) - 1.0 / k) * row

    def _inverse_derivative(self, xp, eta):
        return softmax_jacobian(softmax(eta, axis=-1))

    def _inverse_second_derivative(self, xp, eta):
        s = softmax(eta, axis=-1)
        jac = softmax_jacobian(s)
        k = s.shape[-1]
        eye = xp.eye(k, dtype=s.dtype, device=_xp.device(s))
        delta_minus_s = eye - xp.expand_dims(s, axis=-2)  # [k, i]
        first = xp.expand_dims(jac, axis=-2) * xp.expand_dims(delta_minus_s, axis=-1)  # k,i,j
        second = xp.expand_dims(xp.expand_dims(s, axis=-1), axis=-1) * xp.expand_dims(jac, -3)
        return first - second

    def log_inverse(self, eta):
        return log_softmax(_xp.as_float(eta), axis=-1)


# Registry at the bottom (style rule 5): tests iterate it.
LINKS: dict[str, type[Link]] = {
    cls.name: cls
    for cls in (Identity, Logit, Probit, CLogLog, Log, Inverse, InverseSquared, Sqrt,
                MultinomialLogit)
}
_ALIASES = {"1/mu": "inverse", "1/mu^2": "inverse_squared", "softmax": "multinomial_logit"}


def get_link(name_or_obj: str | Link | dict[str, Any]) -> Link:
    """A :class:`Link` from its name (``"logit"``, R's ``"1/mu^2"``), ``to_dict()`` or instance."""
    if isinstance(name_or_obj, Link):
        return name_or_obj
    if isinstance(name_or_obj, dict):
        return get_link(name_or_obj["name"])
    if not isinstance(name_or_obj, str):
        raise TypeError(f"link must be a name or Link, got {type(name_or_obj).__name__}")
    return LINKS[registry_key(name_or_obj, LINKS, _ALIASES, "link")]()
