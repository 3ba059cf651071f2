"""Errors-in-variables linear regression with intrinsic scatter (Kelly 2007; the lecture's M-sigma).

Model, for i = 1..n with p covariates::

    xi_i ~ sum_k w_k N(mu_k, T_k)                     latent true covariates (p,)
    eta_i = alpha + xi_i . beta + eps_i,  eps_i ~ N(0, sigma^2)      intrinsic scatter
    (x_i, y_i) ~ N((xi_i, eta_i), S_i)                measurement, S_i known per point

Because everything is Gaussian given the mixture component, xi_i and eta_i integrate out:
(x_i, y_i) ~ sum_k w_k N(m_k, V_k + S_i) with m_k = (mu_k, alpha + mu_k . beta) and
V_k = [[T_k, T_k beta], [beta' T_k, beta' T_k beta + sigma^2]]. NUTS samples only the handful of
global parameters; latent values are drawn afterwards from their Gaussian conditional on request
(:meth:`ErrorsInVariablesRegression.sample_latent_x`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from . import _backend
from ._base import BayesianRegressorBase
from ._checks import check_errors, check_X, check_xy_cov, check_y

__all__ = ["ErrorsInVariablesRegression", "standardisation"]


def standardisation(X: np.ndarray, y: np.ndarray | None, names: list[str]) -> dict[str, Any]:
    """Centre and scale used inside the models: xbar, xsd (p,), ybar, ysd (scalars)."""
    xsd = X.std(axis=0)
    if np.any(xsd == 0):
        j = int(np.argmax(xsd == 0))
        raise ValueError(f"column {names[j]!r} of X is constant ({X[0, j]}); its slope is not "
                         "identifiable")
    out = {"xbar": X.mean(axis=0), "xsd": xsd, "ybar": np.float64(0.0), "ysd": np.float64(1.0)}
    if y is not None:
        if y.std() == 0:
            raise ValueError(f"y is constant ({y[0]}); there is nothing to regress")
        out["ybar"], out["ysd"] = np.float64(y.mean()), np.float64(y.std())
    return out


def _initial_point(xt: np.ndarray, yt: np.ndarray, K: int, learned_latent: bool) -> dict:
    """Naive OLS on the standardised observed data (chains are jittered around it)."""
    n, p = xt.shape
    design = np.column_stack([np.ones(n), xt])
    coef, *_ = np.linalg.lstsq(design, yt, rcond=None)
    resid_sd = np.std(yt - design @ coef)
    init = {"intercept_std": coef[0], "coef_std": coef[1:],
            "log_scatter_std": np.log(max(resid_sd, 0.05))}
    if learned_latent:
        q = np.quantile(xt[:, 0], (np.arange(K) + 0.5) / K)
        raw = np.zeros((K, p))
        raw[0, 0] = q[0]
        raw[1:, 0] = np.log(np.maximum(np.diff(q), 1e-3))
        init["mix_means_std"] = raw
        init["log_mix_sds_std"] = np.full((K, p), -np.log(K))
        if K > 1:
            init["mix_logits_std"] = np.zeros(K - 1)
        if p > 1:
            init["mix_corr_chol"] = np.zeros((K, p * (p - 1) // 2))
    return init


class ErrorsInVariablesRegression(BayesianRegressorBase):
    """Bayesian linear regression with Gaussian errors on x and y and intrinsic scatter.

    Parameters
    ----------
    n_components : int
        K, Gaussian components of the learned latent-x prior (Kelly 2007 uses up to 3; 1 is fast
        and enough unless the x distribution is skewed or multimodal). Ignored when
        ``priors.latent_x`` fixes the latent prior (the lecture's Normal(0, 10^3)).
    priors : Priors, "lecture" or None
        None = data-scaled weakly informative defaults (see :mod:`reglab.bayes.priors`).
    num_warmup, num_samples, num_chains, chain_method, target_accept : NUTS settings.
        ``chain_method="auto"`` runs chains in parallel when JAX has one device per chain (see
        :func:`reglab.bayes.use_cpu_cores`) and sequentially otherwise.
    random_state : int, verbose : bool (progress bar, only on a terminal).

    Fitted: ``coef_`` (p,), ``intercept_``, ``scatter_`` (posterior means), ``samples_``,
    ``diagnostics_``, ``summary()``.
    """

    _main_sites = ("intercept", "coef", "scatter")

    def __init__(self, n_components: int = 1, priors: Any = None, num_warmup: int = 1000,
                 num_samples: int = 1000, num_chains: int = 4, chain_method: str = "auto",
                 target_accept: float = 0.8, random_state: int | None = 0, verbose: bool = True):
        self.n_components = n_components
        self.priors = priors
        self.num_warmup = num_warmup
        self.num_samples = num_samples
        self.num_chains = num_chains
        self.chain_method = chain_method
        self.target_accept = target_accept
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X: Any, y: Any, x_err: Any = None, y_err: Any = None, xy_cov: Any = None):
        """Sample the posterior. X (n, p) or (n,); y (n,); x_err (n, p) or (n,) and y_err (n,)
        are measurement standard deviations (0 = exact); xy_cov (n, p) the x-y error covariance."""
        X, names, fnames = check_X(X)
        n, p = X.shape
        y = check_y(y, n)
        x_err = check_errors(x_err, n, p, "x_err", names, fnames)
        y_err = check_errors(y_err, n, None, "y_err")
        xy_cov = check_xy_cov(xy_cov, x_err, y_err, names, fnames)
        K = int(self.n_components)
        if K < 1:
            raise ValueError(f"n_components must be >= 1, got {self.n_components}")
        if n < p + 3:
            raise ValueError(f"need at least {p + 3} rows for {p} covariate(s), got {n}")
        priors = self._priors()
        if priors.latent_x is not None and priors.latent_x.dist != "normal":
            raise ValueError(
                f"the closed-form model needs a Normal latent-x prior, got {priors.latent_x.dist}; "
                "use BayesianGLM(family='gaussian') to sample the latent x under any prior"
            )
        s = standardisation(X, y, names)
        xt, yt = (X - s["xbar"]) / s["xsd"], (y - s["ybar"]) / s["ysd"]
        kwargs = {"xt": xt, "yt": yt, "sxx": (x_err / s["xsd"]) ** 2,
                  "sxy": xy_cov / (s["xsd"] * s["ysd"]), "syy": (y_err / s["ysd"]) ** 2, "s": s}
        _backend.load()
        from ._models import eiv_marginal_model

        model = partial(eiv_marginal_model, p=p, K=K, priors=priors)
        learned = priors.latent_x is None
        init = _initial_point(xt, yt, K, learned)
        keep = ("intercept", "coef", "scatter", "mix_weights", "mix_means", "mix_sds",
                "mix_corr_chol")
        result = self._sample(model, ("eiv_marginal", p, K, priors), kwargs, init, True, keep)
        data = {"X": X, "y": y, "x_err": x_err, "y_err": y_err, "xy_cov": xy_cov}
        self._finish(result, names, fnames, {"data_": data, "n_components_": K if learned else 1})
        return self

    def _set_point_estimates(self) -> None:
        super()._set_point_estimates()
        self.scatter_ = float(self._draws("scatter").mean())

    # ---- latent values and posterior predictive -------------------------------------------
    def _latent_prior_draws(self, idx: np.ndarray):
        """Mixture weights (D, K), means (D, K, p), covariances (D, K, p, p) in data units."""
        p = self.n_features_in_
        if "mix_means" not in self.samples_:
            loc, sd = self._priors().latent_x.params
            d = len(idx)
            return (np.ones((d, 1)), np.full((d, 1, p), loc),
                    np.broadcast_to(sd**2 * np.eye(p), (d, 1, p, p)))
        w = self._draws("mix_weights")[idx]
        mu = self._draws("mix_means")[idx]
        sd = self._draws("mix_sds")[idx]
        if p > 1:
            chol = sd[..., :, None] * self._draws("mix_corr_chol")[idx]
            cov = chol @ np.swapaxes(chol, -1, -2)
        else:
            cov = (sd**2)[..., None]
        return w, mu, cov

    def sample_latent_x(self, n_draws: int = 200, random_state: int | None = None) -> np.ndarray:
        """Posterior draws of the true covariates of the training rows: (n_draws, n, p).

        Given the global parameters, component k and the data, xi_i is Gaussian with mean
        mu_k + G (z_i - m_k) and covariance T_k - G A T_k, G = T_k A' C^-1, A = [I; beta'],
        C = V_k + S_i; the component is drawn with probability w_k N(z_i; m_k, C)."""
        self._check_fitted()
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        return self._latent_at(self._pick(rng, n_draws), rng)

    def _latent_at(self, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        w, mu, cov = self._latent_prior_draws(idx)
        alpha, beta = self._draws("intercept")[idx], self._draws("coef")[idx]
        sigma = self._draws("scatter")[idx]
        return np.stack([self._latent_one(rng, alpha[d], beta[d], sigma[d], w[d], mu[d], cov[d])
                         for d in range(len(idx))])

    def _latent_one(self, rng, alpha, beta, sigma, w, mu, T) -> np.ndarray:
        X, y = self.data_["X"], self.data_["y"]
        n, p = X.shape
        A = np.vstack([np.eye(p), beta[None]])  # (p+1, p)
        S = np.zeros((n, p + 1, p + 1))
        S[:, np.arange(p), np.arange(p)] = self.data_["x_err"] ** 2
        S[:, p, p] = self.data_["y_err"] ** 2 + sigma**2
        S[:, :p, p] = S[:, p, :p] = self.data_["xy_cov"]
        C = (A @ T @ A.T)[None] + S[:, None]  # (n, K, p+1, p+1)
        m = np.concatenate([mu, (alpha + mu @ beta)[:, None]], axis=1)  # (K, p+1)
        r = np.column_stack([X, y])[:, None, :] - m[None]  # (n, K, p+1)
        sol = np.linalg.solve(C, r[..., None])[..., 0]
        _, logdet = np.linalg.slogdet(C)
        logp = np.log(w)[None] - 0.5 * (np.sum(r * sol, axis=-1) + logdet)
        prob = np.exp(logp - logp.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        k = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
        k = np.minimum(k, len(w) - 1)
        Ck, rk, Tk = C[np.arange(n), k], r[np.arange(n), k], T[k]  # (n, d, d), (n, d), (n, p, p)
        G = np.swapaxes(np.linalg.solve(Ck, (A @ Tk)), -1, -2)  # T A' C^-1 (C symmetric): (n, p, d)
        mean = mu[k] + np.einsum("npd,nd->np", G, rk)
        cov = Tk - G @ A @ Tk
        chol = np.linalg.cholesky(0.5 * (cov + np.swapaxes(cov, -1, -2)) + 1e-12 * np.eye(p))
        return mean + np.einsum("npq,nq->np", chol, rng.standard_normal((n, p)))

    def sample_posterior_predictive(self, X: Any = None, y_err: Any = None, n_draws: int = 200,
                                    random_state: int | None = None) -> np.ndarray:
        """Replicated observations y_rep, (n_draws, n): alpha + x_true . beta + N(0, sigma^2) +
        N(0, y_err^2). ``X=None`` uses the training rows (latent x drawn from the posterior) and
        their y_err; otherwise X is taken as true covariate values (y_err defaults to 0)."""
        self._check_fitted()
        rng = np.random.default_rng(self.random_state if random_state is None else random_state)
        idx = self._pick(rng, n_draws)
        if X is None:
            xi = self._latent_at(idx, rng)
            err = self.data_["y_err"]
        else:
            Xn = self._X(X)
            xi = np.broadcast_to(Xn, (len(idx), *Xn.shape))
            err = check_errors(y_err, Xn.shape[0], None, "y_err")
        alpha, beta = self._draws("intercept")[idx], self._draws("coef")[idx]
        sd = np.sqrt(self._draws("scatter")[idx][:, None] ** 2 + err[None] ** 2)
        mean = alpha[:, None] + np.einsum("dnp,dp->dn", xi, beta)
        return mean + sd * rng.standard_normal(mean.shape)
