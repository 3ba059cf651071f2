"""Exponential-dispersion families: the one object that owns everything touching the response.

A :class:`Family` is a distribution plus a :class:`~reglab.core.links.Link`. For ``y``, ``mu``,
``eta`` of shape ``(n,)`` (``(n, K)`` for the categorical) and optional ``sample_weight`` ``(n,)``:

- ``variance(mu) = V(mu)``, the unit variance: ``Var(y) = scale * V(mu) / weight``;
- ``unit_deviance(y, mu) = d(y, mu) = 2 * (loglik(y; mu=y) - loglik(y; mu))`` per sample (scale 1);
- ``loss(y, eta) = sum_i w_i d(y_i, mu_i) / (2 sum_i w_i)`` with ``mu = link.inverse(eta)``;
- ``gradient_hessian(y, eta) = (g, W)``: ``g = d loss_i / d eta = (mu - y) mu'(eta) / V(mu)``
  (``mu - y`` for canonical links) and the Fisher weight ``W = mu'(eta)^2 / V(mu)``, both times
  ``w``. IRLS regresses the working response ``z = eta - g / W`` on X with weights ``W``.

Losses are computed from ``eta`` through ``link.log_inverse`` (``log mu``) so they stay finite and
exact where ``mu`` itself rounds to 0 or 1 (for example Bernoulli-logit at ``|eta| = 1e4``).
Weights: frequency weights (R's ``prior.weights``) except Gaussian ``loglik`` (precision weights,
as R's ``gaussian()$aic``) and binomial (the number of trials; ``y`` is then the proportion).
"""

from __future__ import annotations

import math
from typing import Any

from . import _xp
from ._family_base import Family, log_or, ylog, ylogmu
from ._registry import registry_key
from ._tweedie import tweedie_series_loglik
from .categorical import Categorical, one_hot

__all__ = [
    "Family", "Gaussian", "Binomial", "Bernoulli", "Poisson", "Gamma", "InverseGaussian",
    "NegativeBinomial", "Tweedie", "Categorical", "one_hot", "FAMILIES", "get_family",
]

_LOG_2PI = math.log(2.0 * math.pi)


class Gaussian(Family):
    """Normal: ``V(mu) = 1``, ``d = (y - mu)^2``; any real ``y``; estimated scale ``sigma^2``."""

    name = "gaussian"
    canonical_link = "identity"
    allowed_links = ("identity", "log", "inverse")
    y_rule = "any finite number"
    _precision_weights = True
    _uses_logmu = False

    def variance(self, mu):
        return _xp.namespace(mu).ones_like(_xp.as_float(mu))

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        return (y - mu) * (y - mu)

    def _loglik_terms(self, xp, y, mu, w, scale):
        # precision weights (R's gaussian()$aic): y_i ~ N(mu_i, scale / w_i); zero weights drop out
        pos = w > 0
        logw = xp.log(xp.where(pos, w, xp.ones_like(w)))
        t = -0.5 * (_LOG_2PI + math.log(scale) - logw) - w * (y - mu) * (y - mu) / (2.0 * scale)
        return xp.where(pos, t, xp.zeros_like(t))


class Binomial(Family):
    """Binomial proportion ``y`` in [0, 1] with ``sample_weight`` = trials: ``V(mu) = mu (1 - mu)``.

    ``d = 2 [y log(y/mu) + (1 - y) log((1 - y)/(1 - mu))]``; log-likelihood
    ``log C(m, k) + k log mu + (m - k) log(1 - mu)`` with ``k = y m`` successes of ``m`` trials.
    """

    name = "binomial"
    canonical_link = "logit"
    allowed_links = ("logit", "probit", "cloglog", "log")
    scale_fixed = True
    y_rule = "a proportion in [0, 1]"

    def _y_invalid(self, xp, y):
        return (y < 0) | (y > 1)

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return mu * (1.0 - mu)

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        if log1m is None:  # log(1 - mu), evaluated only where 1 - y > 0
            log1m = xp.log1p(-xp.where(y == 1, xp.zeros_like(mu), mu))
        return 2.0 * (_xp.xlogy(y, y) + _xp.xlogy(1.0 - y, 1.0 - y)
                      - ylogmu(xp, y, mu, logmu) - ylog(xp, 1.0 - y, log1m))

    def _loglik(self, xp, y, eta_parts, w, scale):
        logmu, log1m = eta_parts
        m = xp.ones_like(y) if w is None else w
        k = y * m
        lg = _xp.lgamma
        comb = lg(m + 1.0) - lg(k + 1.0) - lg(m - k + 1.0)
        return xp.sum(comb + ylog(xp, k, logmu) + ylog(xp, m - k, log1m))

    def loglik(self, y, mu, sample_weight=None, scale=1.0):
        y, mu, w, xp = self._prepare(y, mu, sample_weight)
        # log mu only where there are successes, log(1 - mu) only where there are failures
        logmu = xp.log(xp.where(y == 0, xp.ones_like(mu), mu))
        log1m = xp.log1p(-xp.where(y == 1, xp.zeros_like(mu), mu))
        return self._loglik(xp, y, (logmu, log1m), w, scale)

    def gradient_hessian(self, y, eta, sample_weight=None):
        if self.link.name != "logit":
            return super().gradient_hessian(y, eta, sample_weight)
        # canonical: dmu/deta = V(mu), so g = mu - y exactly, even where V(mu) underflows to 0
        y, eta, w, xp = self._prepare(y, eta, sample_weight)
        g, hess = self.mean(eta) - y, self.link.inverse_derivative(eta)
        return (g, hess) if w is None else (g * w, hess * w)

    def starting_mu(self, y, sample_weight=None):
        y = _xp.as_float(y)
        m = 1.0 if sample_weight is None else sample_weight
        return (m * y + 0.5) / (m + 1.0)  # R's binomial mustart


class Bernoulli(Binomial):
    """Binomial with one trial per sample: labels ``y`` must be exactly 0 or 1."""

    name = "bernoulli"
    y_rule = "a label 0 or 1"

    def _y_invalid(self, xp, y):
        return (y != 0) & (y != 1)


class Poisson(Family):
    """Poisson counts: ``V(mu) = mu``, ``d = 2 [y log(y/mu) - (y - mu)]``, ``y >= 0``."""

    name = "poisson"
    canonical_link = "log"
    allowed_links = ("log", "identity", "sqrt")
    scale_fixed = True
    y_rule = "a count >= 0"

    def _y_invalid(self, xp, y):
        return y < 0

    def variance(self, mu):
        return _xp.as_float(mu)

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        return 2.0 * (_xp.xlogy(y, y) - ylogmu(xp, y, mu, logmu) - y + mu)

    def _loglik_terms(self, xp, y, mu, w, scale):
        return ylog(xp, y, xp.log(mu)) - mu - _xp.lgamma(y + 1.0)

    def starting_mu(self, y, sample_weight=None):
        return _xp.as_float(y) + 0.1


class Gamma(Family):
    """Gamma: ``V(mu) = mu^2``, ``d = 2 [(y - mu)/mu - log(y/mu)]``, ``y > 0``, shape 1/scale."""

    name = "gamma"
    canonical_link = "inverse"
    allowed_links = ("inverse", "log", "identity")
    y_rule = "a number > 0"

    def _y_invalid(self, xp, y):
        return y <= 0

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return mu * mu

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        return 2.0 * (log_or(xp, mu, logmu) - xp.log(y) + y / mu - 1.0)

    def _loglik_terms(self, xp, y, mu, w, scale):
        a = 1.0 / scale  # shape; the gamma scale parameter is mu / a
        return (-math.lgamma(a) + a * math.log(a) - a * xp.log(mu) + (a - 1.0) * xp.log(y)
                - a * y / mu)


class InverseGaussian(Family):
    """Inverse Gaussian: ``V(mu) = mu^3``, ``d = (y - mu)^2 / (y mu^2)``, ``y > 0``."""

    name = "inverse_gaussian"
    canonical_link = "inverse_squared"
    allowed_links = ("inverse_squared", "inverse", "log", "identity")
    y_rule = "a number > 0"
    _uses_logmu = False

    def _y_invalid(self, xp, y):
        return y <= 0

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return mu * mu * mu

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        r = (y - mu) / mu
        return r * r / y

    def _loglik_terms(self, xp, y, mu, w, scale):
        lam = 1.0 / scale
        r = (y - mu) / mu
        return 0.5 * (math.log(lam) - _LOG_2PI - 3.0 * xp.log(y)) - 0.5 * lam * r * r / y


class NegativeBinomial(Family):
    """NB2 counts: ``V(mu) = mu + alpha mu^2`` (``alpha > 0`` known), ``y >= 0``.

    ``d = 2 [y log(y/mu) - (y + 1/alpha) log((1 + alpha y) / (1 + alpha mu))]``;
    ``log p = lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r log(r/(r + mu)) + y log(mu/(r + mu))``
    with ``r = 1/alpha`` (scipy's ``nbinom(n=r, p=r/(r + mu))``).
    """

    name = "negative_binomial"
    canonical_link = "log"
    allowed_links = ("log", "sqrt", "identity")
    scale_fixed = True
    y_rule = "a count >= 0"

    def __init__(self, link=None, alpha: float = 1.0) -> None:
        alpha = float(alpha)
        if not (math.isfinite(alpha) and alpha > 0):
            raise ValueError(f"negative_binomial alpha must be a finite number > 0, got {alpha!r}")
        self.alpha = alpha
        super().__init__(link)

    @property
    def params(self):
        return {"alpha": self.alpha}

    def _y_invalid(self, xp, y):
        return y < 0

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return mu + self.alpha * mu * mu

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        a = self.alpha
        tail = (y + 1.0 / a) * (xp.log1p(a * y) - xp.log1p(a * mu))
        return 2.0 * (_xp.xlogy(y, y) - ylogmu(xp, y, mu, logmu) - tail)

    def _loglik_terms(self, xp, y, mu, w, scale):
        r = 1.0 / self.alpha
        lg = _xp.lgamma
        log_r_mu = xp.log(r + mu)
        return (lg(y + r) - math.lgamma(r) - lg(y + 1.0) + r * (math.log(r) - log_r_mu)
                + ylog(xp, y, xp.log(mu) - log_r_mu))

    def starting_mu(self, y, sample_weight=None):
        return _xp.as_float(y) + 0.1


class Tweedie(Family):
    """Tweedie with ``V(mu) = mu^p`` for ``p <= 0`` or ``p >= 1`` (no distribution for 0<p<1).

    ``d = 2 [max(y,0)^{2-p}/((1-p)(2-p)) - y mu^{1-p}/(1-p) + mu^{2-p}/(2-p)]``, with the Gaussian
    (p = 0), Poisson (1), gamma (2) limits. ``y``: real for p <= 0, ``>= 0`` for 1 <= p < 2 (the
    compound Poisson-gamma with exact zeros), ``> 0`` for p >= 2. ``loglik`` is exact for p in
    {0, 1 (scale 1), 2, 3}, by the Dunn-Smyth series for 1 < p < 2, and raises otherwise.
    """

    name = "tweedie"
    canonical_link = "log"
    allowed_links = ("log", "identity")

    def __init__(self, link=None, power: float = 1.5) -> None:
        p = float(power)
        if not math.isfinite(p) or 0 < p < 1:
            raise ValueError(f"tweedie power must be <= 0 or >= 1 (no distribution for 0 < p < 1),"
                             f" got {power!r}")
        self.power = p
        if link is None and p <= 0:
            link = "identity"  # scikit-learn's 'auto': the log link needs mu > 0
        super().__init__(link)
        self._equiv = {0.0: Gaussian, 1.0: Poisson, 2.0: Gamma, 3.0: InverseGaussian}.get(p)
        self._uses_logmu = self._equiv in (Poisson, Gamma)

    @property
    def params(self):
        return {"power": self.power}

    @property
    def y_rule(self):  # type: ignore[override]
        p = self.power
        return "any finite number" if p <= 0 else ("a number >= 0" if p < 2 else "a number > 0")

    def _y_invalid(self, xp, y):
        p = self.power
        return xp.zeros_like(y, dtype=xp.bool) if p <= 0 else (y < 0 if p < 2 else y <= 0)

    def variance(self, mu):
        mu = _xp.as_float(mu)
        return _xp.namespace(mu).pow(mu, self.power)

    def _unit_deviance(self, xp, y, mu, logmu, log1m):
        p = self.power
        if self._equiv is not None:
            return self._equiv()._unit_deviance(xp, y, mu, logmu, log1m)
        y_pos = xp.where(y > 0, y, xp.zeros_like(y))
        t1 = xp.pow(y_pos, 2.0 - p) / ((1.0 - p) * (2.0 - p))
        return 2.0 * (t1 - y * xp.pow(mu, 1.0 - p) / (1.0 - p) + xp.pow(mu, 2.0 - p) / (2.0 - p))

    def loglik(self, y, mu, sample_weight=None, scale=1.0):
        p = self.power
        if self._equiv is not None and not (p == 1 and scale != 1):
            return self._equiv().loglik(y, mu, sample_weight, scale)
        if 1 < p < 2:
            y, mu, w, xp = self._prepare(y, mu, sample_weight)
            terms = tweedie_series_loglik(xp, y, mu, p, float(scale))
            return xp.sum(terms if w is None else w * terms)
        raise ValueError(f"tweedie loglik is available for power in {{0, 1, 2, 3}} and 1 < p < 2 "
                         f"(series); not for power={p} with scale={scale}")

    def starting_mu(self, y, sample_weight=None):
        y = _xp.as_float(y)
        xp = _xp.namespace(y)
        # R's statmod::tweedie mustart: y, moved off 0 where y is 0 (log links need mu > 0)
        return y + 0.1 * xp.astype(y == 0, y.dtype) if self.power > 0 else y


# Registry at the bottom (style rule 5): tests iterate it.
FAMILIES: dict[str, type[Family]] = {
    cls.name: cls
    for cls in (Gaussian, Binomial, Bernoulli, Poisson, Gamma, InverseGaussian, NegativeBinomial,
                Tweedie, Categorical)
}
_ALIASES = {"normal": "gaussian", "multinomial": "categorical", "nb2": "negative_binomial",
            "negbin": "negative_binomial"}


def get_family(name_or_obj: str | Family | dict[str, Any], link: Any = None,
               **params: Any) -> Family:
    """A :class:`Family` by name (``get_family("poisson", link="sqrt")``, ``"tweedie", power=1.5``),
    from a ``to_dict()`` mapping, or an instance (returned as is)."""
    if isinstance(name_or_obj, Family):
        if link is not None or params:
            raise ValueError("link/parameters given together with a Family instance")
        return name_or_obj
    if isinstance(name_or_obj, dict):
        spec = dict(name_or_obj)
        return get_family(spec.pop("name"), link=spec.pop("link", link), **spec, **params)
    if not isinstance(name_or_obj, str):
        raise TypeError(f"family must be a name or Family, got {type(name_or_obj).__name__}")
    key = registry_key(name_or_obj, FAMILIES, _ALIASES, "family")
    try:
        return FAMILIES[key](link=link, **params)
    except TypeError as err:
        raise ValueError(f"bad parameters {params} for family {key!r}: {err}") from None

