"""Prior specifications as plain data (no JAX needed to build or save them).

A :class:`Prior` is a distribution name and its parameters; :class:`Priors` groups the priors of a
model. ``None`` fields mean "weakly informative, scaled to the data" (like rstanarm's autoscale):

* centred intercept ``a_c = alpha + xbar . beta ~ Normal(ybar, 10 sd(y))``;
* each slope ``beta_j ~ Normal(0, 10 sd(y) / sd(x_j))`` (wider than rstanarm's 2.5 because
  correcting for errors in x steepens slopes);
* intrinsic scatter sd ``sigma ~ HalfCauchy(sd(y))``;
* NB2 dispersion ``alpha_nb ~ HalfCauchy(1)`` (variance ``mu + alpha_nb mu^2``).

For the bernoulli, poisson and negative-binomial GLMs "sd(y)" is 1 and "ybar" is g(mean y), for
counts over exposures log(mean y / mean exposure): the priors then live on the linear-predictor
scale.

:meth:`Priors.lecture` reproduces the lecture's M-sigma model exactly, reading ``Normal(m, v)`` the
way the lecture writes the measurement lines (second argument = variance):
``alpha, beta, x_true ~ Normal(0, variance 10^3)`` and ``epsilon^2 ~ Gamma(10^-3, 10^-3)`` on the
scatter *variance* as written (shape, rate). JAGS code of the same model usually puts the Gamma on
the precision ``1 / epsilon^2``: ``Priors.lecture(scatter_on="precision")`` gives that reading.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

__all__ = ["Prior", "Priors"]

# name -> (number of parameters, support) ; support is used to validate latent-x priors
_DISTS = {
    "normal": (2, "real"),  # loc, scale (sd)
    "student_t": (3, "real"),  # df, loc, scale
    "cauchy": (2, "real"),  # loc, scale
    "half_normal": (1, "positive"),  # scale
    "half_cauchy": (1, "positive"),  # scale
    "exponential": (1, "positive"),  # rate
    "gamma": (2, "positive"),  # shape (concentration), rate
    "inverse_gamma": (2, "positive"),  # shape, rate (scale)
    "uniform": (2, "interval"),  # low, high
}
_SCATTER_ON = ("sd", "variance", "precision")


@dataclass(frozen=True)
class Prior:
    """One prior: ``Prior("normal", (0.0, 10.0))`` is Normal(mean 0, sd 10)."""

    dist: str
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.dist not in _DISTS:
            raise ValueError(f"unknown prior distribution {self.dist!r}; one of {sorted(_DISTS)}")
        n = _DISTS[self.dist][0]
        params = tuple(float(p) for p in self.params)
        if len(params) != n:
            raise ValueError(f"prior {self.dist!r} takes {n} parameters, got {len(params)}")
        if not all(math.isfinite(p) for p in params):
            raise ValueError(f"prior {self.dist!r} has a non-finite parameter: {params}")
        positive = params[1:] if self.dist in ("normal", "cauchy") else params
        if self.dist == "student_t":
            positive = (params[0], params[2])
        if self.dist == "uniform":
            positive = ()
            if params[1] <= params[0]:
                raise ValueError(f"uniform prior needs low < high, got {params}")
        if any(p <= 0 for p in positive):
            raise ValueError(f"prior {self.dist!r} needs positive scale/shape/rate, got {params}")
        object.__setattr__(self, "params", params)

    @property
    def support(self) -> str:
        return _DISTS[self.dist][1]

    # convenience constructors, named as the distributions are usually written
    @classmethod
    def normal(cls, loc: float, sd: float) -> Prior:
        return cls("normal", (loc, sd))

    @classmethod
    def normal_variance(cls, loc: float, variance: float) -> Prior:
        """Normal written with its variance, as the lecture does: ``Normal(0, 10^3)``."""
        return cls("normal", (loc, math.sqrt(variance)))

    @classmethod
    def uniform(cls, low: float, high: float) -> Prior:
        return cls("uniform", (low, high))

    @classmethod
    def gamma(cls, shape: float, rate: float) -> Prior:
        return cls("gamma", (shape, rate))

    @classmethod
    def half_cauchy(cls, scale: float) -> Prior:
        return cls("half_cauchy", (scale,))

    @classmethod
    def half_normal(cls, scale: float) -> Prior:
        return cls("half_normal", (scale,))

    def to_numpyro(self, dist: Any) -> Any:
        """The NumPyro distribution object (``dist`` is ``numpyro.distributions``)."""
        p = self.params
        builders = {
            "normal": lambda: dist.Normal(p[0], p[1]),
            "student_t": lambda: dist.StudentT(p[0], p[1], p[2]),
            "cauchy": lambda: dist.Cauchy(p[0], p[1]),
            "half_normal": lambda: dist.HalfNormal(p[0]),
            "half_cauchy": lambda: dist.HalfCauchy(p[0]),
            "exponential": lambda: dist.Exponential(p[0]),
            "gamma": lambda: dist.Gamma(p[0], p[1]),
            "inverse_gamma": lambda: dist.InverseGamma(p[0], p[1]),
            "uniform": lambda: dist.Uniform(p[0], p[1]),
        }
        return builders[self.dist]()

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.dist, "params": list(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Prior:
        return cls(d["dist"], tuple(d["params"]))


@dataclass(frozen=True)
class Priors:
    """Priors of a Bayesian regression; ``None`` means the data-scaled weakly informative default.

    ``scatter_on`` / ``dispersion_on`` say which quantity the scatter / NB prior is placed on:
    scatter ``"sd"`` (sigma), ``"variance"`` (sigma^2) or ``"precision"`` (1/sigma^2);
    dispersion ``"alpha"`` (variance mu + alpha mu^2) or ``"size"`` (k = 1/alpha, the paper's k).
    ``latent_x`` fixes the prior of every latent true covariate (the lecture's wide Normal or the
    paper's Uniform(-26, -10)); ``None`` lets the model learn it (a Gaussian mixture for
    :class:`ErrorsInVariablesRegression`, one hierarchical Normal for :class:`BayesianGLM`).
    """

    intercept: Prior | None = None
    coef: Prior | None = None
    scatter: Prior | None = None
    scatter_on: str = "sd"
    latent_x: Prior | None = None
    dispersion: Prior | None = None
    dispersion_on: str = "alpha"

    def __post_init__(self) -> None:
        if self.scatter_on not in _SCATTER_ON:
            raise ValueError(f"scatter_on must be one of {_SCATTER_ON}, got {self.scatter_on!r}")
        if self.dispersion_on not in ("alpha", "size"):
            raise ValueError(f"dispersion_on must be 'alpha' or 'size', got {self.dispersion_on!r}")
        for name in ("scatter", "dispersion"):
            prior = getattr(self, name)
            if prior is not None and prior.support == "real":
                raise ValueError(f"the {name} prior must live on positive values, got {prior.dist}")

    @classmethod
    def lecture(cls, scatter_on: str = "variance") -> Priors:
        """The lecture's M-sigma priors: Normal(0, var 10^3) and Gamma(1e-3, 1e-3) on epsilon^2."""
        wide = Prior.normal_variance(0.0, 1e3)
        return cls(intercept=wide, coef=wide, latent_x=wide,
                   scatter=Prior.gamma(1e-3, 1e-3), scatter_on=scatter_on)

    @classmethod
    def de_souza2015(cls) -> Priors:
        """de Souza et al. (2015) globular clusters: beta ~ N(0, var 10^6), k ~ U(0, 5),
        M_V* ~ U(-26, -10)."""
        wide = Prior.normal_variance(0.0, 1e6)
        return cls(intercept=wide, coef=wide, latent_x=Prior.uniform(-26.0, -10.0),
                   dispersion=Prior.uniform(0.0, 5.0), dispersion_on="size")

    def replace(self, **changes: Any) -> Priors:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("intercept", "coef", "scatter", "latent_x", "dispersion"):
            prior = getattr(self, name)
            out[name] = None if prior is None else prior.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Priors:
        kw = dict(d)
        for name in ("intercept", "coef", "scatter", "latent_x", "dispersion"):
            kw[name] = None if kw.get(name) is None else Prior.from_dict(kw[name])
        return cls(**kw)
