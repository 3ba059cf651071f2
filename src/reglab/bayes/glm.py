"""Bayesian generalised linear models with optional measurement errors (NUTS via NumPyro).

eta_i = alpha + x_true_i . beta, y_i ~ family(mean = g^-1(eta_i)) for the gaussian (identity link),
bernoulli (logit), poisson (log) and negative_binomial (NB2, log, variance mu + alpha mu^2) family.
With ``x_err`` the true covariates are latent, x_i ~ N(x_true_i, x_err_i^2), and NUTS samples them
(no closed form outside the all-Gaussian case; for that case :class:`ErrorsInVariablesRegression`
integrates them out and is much faster). With ``y_err``: gaussian adds y_err^2 to the variance;
count families perturb the mean as de Souza et al. (2015) do (see :func:`_models._count_mean`).
With ``exposure`` (poisson, negative_binomial: time at risk, population) ``log(exposure)`` is an
offset, so the coefficients describe the rate per unit of exposure (R's ``offset(log(e))``).

The globular-cluster model of de Souza et al. (2015) is
``BayesianGLM("negative_binomial", priors="de_souza2015").fit(M_V, N_GC, x_err=e_MV, y_err=e_N)``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from scipy.special import expit, logit

from . import _backend
from ._base import BayesianRegressorBase
from ._checks import check_errors, check_exposure, check_response, check_X, check_y, latent_start
from .eiv import standardisation

__all__ = ["BayesianGLM", "FAMILIES"]

FAMILIES = ("gaussian", "bernoulli", "poisson", "negative_binomial")
_ALIASES = {"binomial": "bernoulli", "logistic": "bernoulli", "normal": "gaussian",
            "negbin": "negative_binomial", "nb": "negative_binomial"}


def _family_name(family: str) -> str:
    name = _ALIASES.get(family, family)
    if name not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return name


class BayesianGLM(BayesianRegressorBase):
    """Bayesian GLM by NUTS; posterior means in ``coef_`` / ``intercept_``.

    Parameters: ``family`` (gaussian, bernoulli, poisson, negative_binomial), ``priors`` (a
    :class:`~reglab.bayes.Priors`, "de_souza2015", "lecture" or None for weakly informative
    defaults) and the NUTS settings of :class:`ErrorsInVariablesRegression`.

    Fitted: ``coef_`` (p,), ``intercept_``, ``scatter_`` (gaussian), ``dispersion_`` (NB alpha),
    ``latent_x_`` / ``latent_x_sd_`` (n, p) posterior mean / sd of the true covariates when x_err
    was given, ``samples_``, ``diagnostics_``.
    """

    def __init__(self, family: str = "gaussian", priors: Any = None, num_warmup: int = 1000,
                 num_samples: int = 1000, num_chains: int = 4, chain_method: str = "auto",
                 target_accept: float = 0.8, random_state: int | None = 0, verbose: bool = True):
        self.family = family
        self.priors = priors
        self.num_warmup = num_warmup
        self.num_samples = num_samples
        self.num_chains = num_chains
        self.chain_method = chain_method
        self.target_accept = target_accept
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _main_sites(self) -> tuple[str, ...]:
        extra = {"gaussian": ("scatter",), "negative_binomial": ("dispersion",)}
        return ("intercept", "coef", *extra.get(_family_name(self.family), ()))

    def _centre(self, y: np.ndarray, X: np.ndarray, names: list[str], fam: str,
                exposure: np.ndarray) -> dict:
        """Standardisation; eta is centred at g(mean y) for the non-Gaussian families (for counts
        at the log of the overall rate, mean y / mean exposure)."""
        if fam == "gaussian":
            return standardisation(X, y, names)
        s = standardisation(X, None, names)
        m = float(np.mean(y))
        s["ybar"] = np.float64(logit(np.clip(m, 0.02, 0.98)) if fam == "bernoulli"
                              else np.log(max(m, 0.1) / float(np.mean(exposure))))
        return s

    def _exposure(self, exposure: Any, n: int) -> np.ndarray | None:
        if exposure is None:
            return None
        fam = _family_name(self.family)
        if fam not in ("poisson", "negative_binomial"):
            raise ValueError(f"exposure applies to the count families (poisson, "
                             f"negative_binomial), not {fam}")
        return check_exposure(exposure, n)

    def fit(self, X: Any, y: Any, x_err: Any = None, y_err: Any = None, exposure: Any = None):
        """Sample the posterior. X (n, p) or (n,); y (n,); x_err (n, p) and y_err (n,) are
        measurement standard deviations (0 = exact); exposure (n,) > 0 for counts observed over
        different times or populations (``log(exposure)`` is the offset)."""
        fam = _family_name(self.family)
        X, names, fnames = check_X(X)
        n, p = X.shape
        y = check_y(y, n)
        check_response(y, fam)
        x_err = check_errors(x_err, n, p, "x_err", names, fnames)
        y_err = check_errors(y_err, n, None, "y_err")
        ex = self._exposure(exposure, n)
        expo = np.ones(n) if ex is None else ex
        if fam == "bernoulli" and np.any(y_err > 0):
            raise ValueError("y_err is not defined for the bernoulli family (0/1 responses)")
        priors = self._priors()
        s = self._centre(y, X, names, fam, expo)
        has_x, has_y = bool(np.any(x_err > 0)), bool(np.any(y_err > 0)) and fam != "gaussian"
        # a bounded latent-x prior: its latent x start inside the support (see latent_start)
        u0 = latent_start(X, x_err, priors.latent_x, names) if has_x else None
        # covariates transposed to (p, n) inside the model (see _models._latent_x)
        kwargs = {"xt": ((X - s["xbar"]) / s["xsd"]).T, "y": y, "xerr_t": (x_err / s["xsd"]).T,
                  "yerr": y_err, "offset": np.log(expo), "s": s}
        _backend.load()
        from ._models import glm_model

        model = partial(glm_model, p=p, family=fam, priors=priors, has_x_err=has_x,
                        has_y_err=has_y)
        init, fixed = self._initial_point(n, p, fam, priors, has_x, has_y, u0)
        globals_ = tuple(sorted(k for k in init if k not in fixed))
        dense = [globals_] if (has_x or has_y) else True
        keep = ("intercept", "coef", "scatter", "dispersion", "size")
        moments = ("x_noise",) if has_x else ()
        key = ("glm", fam, p, priors, has_x, has_y)
        result = self._sample(model, key, kwargs, init, dense, keep, moments, fixed)
        data = {"X": X, "y": y, "x_err": x_err, "y_err": y_err}
        if ex is not None:
            data["exposure"] = ex
        state: dict[str, Any] = {"data_": data}
        if has_x:
            z_mean, z_var = result.moments["x_noise"]
            state["latent_x_"] = X + x_err * z_mean.T
            state["latent_x_sd_"] = x_err * np.sqrt(np.maximum(z_var, 0.0)).T
        self._finish(result, names, fnames, state)
        return self

    @staticmethod
    def _initial_point(n: int, p: int, fam: str, priors: Any, has_x: bool, has_y: bool,
                       u0: np.ndarray | None):
        """Standardised start (chains are jittered around it); the per-point latent sites
        (``fixed``) are not jittered. ``u0`` (p, n): the latent x under a bounded prior."""
        init: dict[str, Any] = {"intercept_std": 0.0, "coef_std": np.zeros(p)}
        if fam == "gaussian":
            init["log_scatter_std"] = 0.0
        if fam == "negative_binomial":
            init["log_dispersion_std"] = 0.0
        fixed = []
        if has_x:
            site = "x_noise" if u0 is None else "x_latent_u"
            init[site] = np.zeros((p, n)) if u0 is None else u0
            fixed.append(site)
            if priors.latent_x is None:
                init["latent_mean_std"] = np.zeros(p)
                init["log_latent_sd_std"] = np.zeros(p)
        if has_y:
            init["count_noise"] = np.zeros(n)  # unconstrained logit(u) = 0: no perturbation
            fixed.append("count_noise")
        return init, tuple(fixed)

    def _extra_fitted(self) -> tuple[str, ...]:
        return tuple(k for k in ("latent_x_", "latent_x_sd_") if hasattr(self, k))

    def _set_point_estimates(self) -> None:
        super()._set_point_estimates()
        if "scatter" in self.samples_:
            self.scatter_ = float(self._draws("scatter").mean())
        if "dispersion" in self.samples_:
            self.dispersion_ = float(self._draws("dispersion").mean())

    def _mean_draws(self, X: np.ndarray) -> np.ndarray:
        """Posterior draws of the mean response g^-1(eta) at X: (n_draws, n_samples)."""
        eta = super()._mean_draws(X)
        fam = _family_name(self.family)
        if fam == "gaussian":
            return eta
        return expit(eta) if fam == "bernoulli" else np.exp(np.clip(eta, -30, 30))

    def predict(self, X: Any, return_interval: bool = False, level: float = 0.9,
                exposure: Any = None):
        """Posterior mean of E[y | x_true = X] (n_samples,), and with ``return_interval`` its
        ``level`` credible band ``(mean, lower, upper)``. Fitted with an exposure, the mean is a
        rate per unit of exposure unless this call's ``exposure`` scales it to expected counts."""
        out = super().predict(X, return_interval=return_interval, level=level)
        ex = self._exposure(exposure, len(out[0] if return_interval else out))
        if ex is None:
            return out
        return tuple(v * ex for v in out) if return_interval else out * ex

    def sample_posterior_predictive(self, X: Any, n_draws: int = 200,
                                    random_state: int | None = None,
                                    exposure: Any = None) -> np.ndarray:
        """Replicated responses at true covariates X: (n_draws, n_samples); counts over
        ``exposure`` (default 1) for the count families."""
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        mu_all = self._mean_draws(self._X(X))
        ex = self._exposure(exposure, mu_all.shape[1])
        if ex is not None:
            mu_all = mu_all * ex
        idx = self._pick(rng, n_draws)
        mu = mu_all[idx]
        fam = _family_name(self.family)
        if fam == "gaussian":
            return mu + self._draws("scatter")[idx][:, None] * rng.standard_normal(mu.shape)
        if fam == "bernoulli":
            return (rng.random(mu.shape) < mu).astype(float)
        if fam == "poisson":
            return rng.poisson(mu).astype(float)
        size = self._draws("size")[idx][:, None]
        return rng.negative_binomial(size, size / (size + mu)).astype(float)
