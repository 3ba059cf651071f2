"""Shared shell of the Bayesian estimators: sampling settings, summary, predict, save/load."""

from __future__ import annotations

import json
import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import validate_data

from reglab._warn import user_stacklevel

from . import _backend
from ._checks import check_X
from ._mcmc import SamplerConfig, diagnose, run_nuts, summary_table
from .priors import Priors

FORMAT = "reglab.bayes"
FORMAT_VERSION = 1


class BayesianRegressorBase(RegressorMixin, BaseEstimator):
    """Common fitted state: ``samples_`` (site -> (chains, draws, ...)), ``coef_`` (n_features,),
    ``intercept_``, ``feature_names_`` (column labels: a DataFrame's columns, else x1 .. xp),
    ``feature_names_in_`` (only when fitted on a DataFrame, as in scikit-learn: predict then
    checks the names), ``diagnostics_`` (problems in words), ``data_``."""

    _main_sites: tuple[str, ...] = ("intercept", "coef")

    # ---- sampling -------------------------------------------------------------------------
    def _sampler_config(self) -> SamplerConfig:
        return SamplerConfig(
            num_warmup=int(self.num_warmup), num_samples=int(self.num_samples),
            num_chains=int(self.num_chains), chain_method=self.chain_method,
            target_accept=float(self.target_accept),
            progress_bar=_backend.progress_bar_default(self.verbose),
        )

    def _priors(self) -> Priors:
        if self.priors is None:
            return Priors()
        if isinstance(self.priors, str):
            makers = {"lecture": Priors.lecture, "de_souza2015": Priors.de_souza2015,
                      "default": Priors}
            if self.priors not in makers:
                raise ValueError(f"priors must be a Priors object or one of {sorted(makers)}, "
                                 f"got {self.priors!r}")
            return makers[self.priors]()
        if not isinstance(self.priors, Priors):
            raise TypeError(f"priors must be a reglab.bayes.Priors, got {type(self.priors)}")
        return self.priors

    def _sample(self, model: Any, key: tuple, kwargs: dict, init: dict, dense: Any,
                keep: tuple[str, ...], moments: tuple[str, ...] = (),
                fixed: tuple[str, ...] = ()):
        cfg = self._sampler_config()
        return run_nuts(model, key, kwargs, init, cfg, self._seed(), dense, keep, moments, fixed)

    def _seed(self) -> int:
        """``random_state``: an int seeds the chains reproducibly; None draws fresh entropy (the
        scikit-learn convention: a rerun is an independent run); a RandomState or Generator gives
        the next integer from its stream."""
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return int(rs)
        if rs is None:
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rs, np.random.RandomState | np.random.Generator):
            return int(rs.integers(2**31) if isinstance(rs, np.random.Generator)
                       else rs.randint(2**31))
        raise ValueError(f"random_state must be an int, None, a numpy RandomState or Generator, "
                         f"got {rs!r}")

    def _finish(self, result: Any, names: list[str], fnames: np.ndarray | None,
                state: dict) -> None:
        """Set every fitted attribute at once (a fit that failed earlier changed nothing)."""
        samples = dict(result.samples)
        table = summary_table({k: samples[k] for k in self._main_sites if k in samples},
                              self._site_labels(samples, names, self._main_sites))
        self.samples_ = samples
        self.feature_names_ = list(names)
        if fnames is not None:
            self.feature_names_in_ = np.asarray(fnames, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.n_features_in_ = len(names)
        self.divergences_ = int(np.sum(result.divergences))
        self.sampling_seconds_ = result.seconds
        for k, v in state.items():
            setattr(self, k, v)
        self._set_point_estimates()
        self.diagnostics_ = diagnose(table, result.divergences, samples["coef"].shape[0])

    def _set_point_estimates(self) -> None:
        self.coef_ = self._draws("coef").mean(axis=0)
        self.intercept_ = float(self._draws("intercept").mean())

    # ---- posterior access -----------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "samples_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _draws(self, site: str) -> np.ndarray:
        """Draws of ``site`` with the chains pooled: (num_chains * num_samples, ...)."""
        d = self.samples_[site]
        return d.reshape(-1, *d.shape[2:])

    @staticmethod
    def _site_labels(samples: dict, names: list[str], sites: tuple[str, ...]) -> dict:
        labels = {}
        for site in sites:
            if site not in samples:
                continue
            shape = samples[site].shape[2:]
            if site == "coef":
                labels[site] = list(names)
            elif not shape:
                labels[site] = [site]
            else:
                labels[site] = [f"{site}[{','.join(map(str, i))}]" for i in np.ndindex(shape)]
        return labels

    def summary(self, level: float = 0.9, all_parameters: bool = False) -> pd.DataFrame:
        """Posterior table: mean, sd, equal-tailed ``level`` credible interval, R-hat, ESS.

        ``all_parameters`` adds the latent-x prior parameters (mixture weights, means, widths)."""
        self._check_fitted()
        sites = tuple(self.samples_) if all_parameters else self._main_sites
        labels = self._site_labels(self.samples_, self.feature_names_, sites)
        return summary_table({k: self.samples_[k] for k in labels}, labels, level)

    def _X(self, X: Any) -> np.ndarray:
        """X checked against the fit as reglab's other models do (scikit-learn's validate_data):
        the number of columns, and their names when fitted on a DataFrame; then finite values."""
        self._check_fitted()
        if not hasattr(X, "columns") and np.ndim(X) == 1:  # a 1-D grid of the one covariate
            X = np.asarray(X, dtype=float)[:, None]
        arr = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        return check_X(arr, names=self.feature_names_)[0]

    def _pick(self, rng: np.random.Generator, n_draws: int) -> np.ndarray:
        """``n_draws`` distinct posterior draws (indices into the pooled chains); asking for more
        than were kept warns and returns every kept draw once."""
        total = self._draws("intercept").shape[0]
        if int(n_draws) > total:
            warnings.warn(
                f"n_draws={int(n_draws)} is more than the {total} posterior draws kept "
                f"(num_chains x num_samples); returning all {total}, each once",
                UserWarning, stacklevel=user_stacklevel(),
            )
        return rng.choice(total, size=min(int(n_draws), total), replace=False)

    def _mean_draws(self, X: np.ndarray) -> np.ndarray:
        """Posterior draws of the regression mean at ``X``: (n_draws, n_samples)."""
        return self._draws("intercept")[:, None] + self._draws("coef") @ X.T

    def predict(self, X: Any, return_interval: bool = False, level: float = 0.9):
        """Posterior mean of E[y | x_true = X], shape (n_samples,); with ``return_interval`` also
        the equal-tailed ``level`` credible band of that mean: ``(mean, lower, upper)``."""
        draws = self._mean_draws(self._X(X))
        mean = draws.mean(axis=0)
        if not return_interval:
            return mean
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        lower, upper = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
        return mean, lower, upper

    # ---- plots ----------------------------------------------------------------------------
    def plot_fit(self, feature: int | str = 0, level: float = 0.9, ax: Any = None):
        """Data with error bars, posterior mean line and ``level`` credible band (a Figure)."""
        from .plots import plot_fit

        return plot_fit(self, feature=feature, level=level, ax=ax)

    def plot_trace(self, all_parameters: bool = False):
        from .plots import plot_trace

        return plot_trace(self, all_parameters=all_parameters)

    def plot_pairs(self, all_parameters: bool = False):
        from .plots import plot_pairs

        return plot_pairs(self, all_parameters=all_parameters)

    # ---- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: format/version, class, constructor parameters, posterior draws and the
        training data (nested lists). Never pickle."""
        self._check_fitted()
        params = self.get_params(deep=False)
        if isinstance(params.get("priors"), Priors):
            params["priors"] = {"__priors__": params["priors"].to_dict()}
        return {
            "format": FORMAT, "version": FORMAT_VERSION, "class": type(self).__name__,
            "params": params,
            "feature_names": list(self.feature_names_),
            "feature_names_in": hasattr(self, "feature_names_in_"),
            "samples": {k: np.asarray(v).tolist() for k, v in self.samples_.items()},
            "data": {k: np.asarray(v).tolist() for k, v in self.data_.items()},
            "fitted": {k: np.asarray(getattr(self, k)).tolist() for k in self._extra_fitted()},
            "divergences": self.divergences_, "diagnostics": list(self.diagnostics_),
            "sampling_seconds": self.sampling_seconds_,
        }

    def _extra_fitted(self) -> tuple[str, ...]:
        return ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        """Rebuild a fitted estimator from :meth:`to_dict` output (no JAX needed)."""
        if d.get("format") != FORMAT or d.get("class") != cls.__name__:
            raise ValueError(f"not a saved {cls.__name__}: format={d.get('format')!r}, "
                             f"class={d.get('class')!r}")
        if int(d.get("version", -1)) > FORMAT_VERSION:
            raise ValueError(f"saved with format version {d['version']}, this reglab reads "
                             f"<= {FORMAT_VERSION}")
        params = dict(d["params"])
        if isinstance(params.get("priors"), dict):
            params["priors"] = Priors.from_dict(params["priors"]["__priors__"])
        est = cls(**params)
        est.samples_ = {k: np.asarray(v, dtype=float) for k, v in d["samples"].items()}
        est.data_ = {k: np.asarray(v, dtype=float) for k, v in d["data"].items()}
        for k, v in d.get("fitted", {}).items():
            setattr(est, k, np.asarray(v, dtype=float))
        est.feature_names_ = [str(n) for n in d["feature_names"]]
        names = est.feature_names_
        # fitted on a DataFrame; a file from before this key was, unless it has the NumPy names
        # of its time (x0, x1, ...): its DataFrame predictions then keep their name check
        old_numpy = names == [f"x{j}" for j in range(len(names))]
        if d.get("feature_names_in", "feature_names_in" not in d and not old_numpy):
            est.feature_names_in_ = np.asarray(names, dtype=object)
        est.n_features_in_ = len(d["feature_names"])
        est.divergences_ = int(d["divergences"])
        est.diagnostics_ = list(d["diagnostics"])
        est.sampling_seconds_ = float(d["sampling_seconds"])
        est._set_point_estimates()
        return est

    def save(self, path: str) -> None:
        """Write :meth:`to_dict` as JSON."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh)

    @classmethod
    def load(cls, path: str):
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))
