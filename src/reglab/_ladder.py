"""The rungs of the model ladder (used by :mod:`reglab.compare`).

Each rung builds one of reglab's scikit-learn-compatible estimators for a task (scikit-learn
supplies only the pipeline pieces: scaling, a standardised target; the degree-2 terms are
:class:`reglab._poly.QuadraticFeatures`). A rung whose model cannot be imported raises
ImportError, and the comparison lists it as skipped.
Constructor arguments are passed only when the estimator declares them (``get_params``), so a
rung works with any reglab model that follows scikit-learn's conventions.

Counts observed over different exposures (time at risk, population) reach every count rung
through :class:`Exposed`: the GLMs take ``log(exposure)`` as an offset, the others fit the rate
``count / exposure`` weighted by the exposure. For a Poisson loss (the Poisson GAM and network)
that is the offset model exactly: the weighted rate deviance equals the count deviance.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone

__all__ = ["Rung", "RUNGS", "ladder", "Exposed", "weight_key", "summary_qualifier"]

REGRESSION = ("continuous", "positive", "counts")


def _reglab(module: str, name: str) -> type:
    """``reglab.<module>.<name>``, or ImportError naming what is missing."""
    try:
        return getattr(importlib.import_module(f"reglab.{module}"), name)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"reglab.{module}.{name} is not available ({exc})") from None


def _make(cls: type, **params: Any) -> Any:
    """``cls(**params)``; a parameter ``cls`` does not declare is a bug here, so it raises."""
    declared = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise TypeError(f"{cls.__name__} has no parameter(s) {', '.join(unknown)}")
    return cls(**params)


def _pipe(*steps: Any) -> Any:
    """A pipeline whose transformers hand DataFrames on, so the final model keeps the feature
    names (its summary reads ``temp_c``, ``temp_c^2``, not ``x1``, ``x2``)."""
    from sklearn.pipeline import make_pipeline

    return make_pipeline(*steps).set_output(transform="pandas")


def _scaled(est: Any) -> Any:
    from sklearn.preprocessing import StandardScaler

    return _pipe(StandardScaler(), est)


def _final(model: Any) -> Any:
    """The fitted estimator at the end of a pipeline / target transformer."""
    if hasattr(model, "regressor_"):
        model = model.regressor_
    if hasattr(model, "steps"):
        model = model.steps[-1][1]
    return getattr(model, "regressor_", model)


@dataclass(frozen=True)
class Rung:
    """A model of the ladder: ``factory(ctx) -> (estimator, note)`` may raise ImportError."""

    name: str
    tasks: tuple[str, ...]
    factory: Callable[[dict[str, Any]], tuple[Any, str]]
    likelihood: str | None = None  # distribution for AIC/BIC, None when not a likelihood model
    needs_errors: bool = False
    offset: bool = False  # its estimator's fit and predict take ``exposure=`` (log offset)

    def build(self, data: Any, *, seed: int, fast: bool, errors: Any,
              exposure: Any = None) -> tuple[Any, str]:
        ctx = {"task": data.task, "seed": seed, "fast": fast, "errors": errors,
               "n_samples": len(data.y),
               "n_classes": len(data.classes) if data.classes else None}
        est, note = self.factory(ctx)
        return (est if exposure is None else Exposed(est, offset=self.offset)), note

    def fit(self, model: Any, X: np.ndarray, y: np.ndarray, idx: np.ndarray,
            errors: dict[str, Any] | None, exposure: np.ndarray | None = None,
            weight: np.ndarray | None = None) -> None:
        kwargs = {} if exposure is None else {"exposure": exposure[idx]}
        if self.needs_errors:
            kwargs.update({k: (None if v is None else v[idx]) for k, v in errors.items()})
        kwargs.update(_weights(model, None if weight is None else weight[idx]))
        model.fit(X, y, **kwargs)

    @staticmethod
    def predict(model: Any, X: Any, idx: np.ndarray, exposure: np.ndarray | None) -> np.ndarray:
        """Predicted means of rows ``idx`` (expected counts over their exposures, if any)."""
        kwargs = {} if exposure is None else {"exposure": exposure[idx]}
        return np.asarray(model.predict(X, **kwargs), float)

    def n_params(self, model: Any, n_classes: int | None) -> int:
        m = _final(model)
        coef = np.atleast_2d(np.asarray(m.coef_))
        p = coef.shape[-1]
        if self.likelihood == "categorical":  # K - 1 free linear predictors
            return (n_classes - 1) * (p + 1)
        extra = 1 if self.likelihood in ("gaussian", "gamma", "negative_binomial") else 0
        return p + 1 + extra

    def alpha(self, model: Any) -> float:
        """The NB2 dispersion ``alpha`` (variance ``mu + alpha mu^2``) of a fitted model."""
        m = _final(model)
        for value in (getattr(m, "alpha_nb_", None), getattr(getattr(m, "family_", None),
                                                             "alpha", None)):
            if value is not None:
                return float(value)
        raise ValueError(f"{type(m).__name__} exposes no fitted NB dispersion alpha_")


def weight_key(model: Any) -> str | None:
    """The ``fit`` keyword that carries sample weights to ``model``'s final estimator
    (``"step__sample_weight"`` through pipelines, as scikit-learn routes it), or None when that
    estimator takes none (the Bayesian models)."""
    import inspect

    if isinstance(model, Exposed):
        return "sample_weight" if weight_key(model.regressor) else None
    if hasattr(model, "steps"):
        inner = weight_key(model.steps[-1][1])
        return f"{model.steps[-1][0]}__{inner}" if inner else None
    if hasattr(model, "transformer") and hasattr(model, "regressor"):  # target transformer
        return weight_key(model.regressor)
    return "sample_weight" if "sample_weight" in inspect.signature(model.fit).parameters \
        else None


def _weights(model: Any, weight: np.ndarray | None) -> dict[str, np.ndarray]:
    """``{weight_key(model): weight}``, or nothing without weights."""
    if weight is None:
        return {}
    key = weight_key(model)
    if key is None:
        raise TypeError(f"{type(model).__name__} takes no sample weights")
    return {key: weight}


class Exposed(RegressorMixin, BaseEstimator):
    """A count model fitted to counts observed over exposures ``e > 0``.

    ``offset=True``: ``regressor.fit(X, y, exposure=e)`` (a log-link GLM, ``log e`` the offset).
    Otherwise the rate ``y / e`` is fitted with sample weights ``e`` (times any
    ``sample_weight``). Either way ``predict(X)`` is the rate per unit of exposure and
    ``predict(X, exposure=e)`` the expected counts. The fitted model is ``regressor_``.
    """

    def __init__(self, regressor: Any = None, offset: bool = False):
        self.regressor = regressor
        self.offset = offset

    def fit(self, X: Any, y: Any, exposure: Any = None, sample_weight: Any = None,
            **fit_params: Any) -> Exposed:
        if exposure is None:
            raise ValueError("Exposed.fit needs exposure (n_samples,) > 0")
        e = np.asarray(exposure, float)
        y = np.asarray(y, float)
        w = None if sample_weight is None else np.asarray(sample_weight, float)
        reg = clone(self.regressor)
        if self.offset:
            reg.fit(X, y, exposure=e, **_weights(reg, w), **fit_params)
        elif fit_params:
            raise TypeError(f"a rate model takes no fit parameters, got {sorted(fit_params)}")
        else:
            reg.fit(X, y / e, **_weights(reg, e if w is None else e * w))
        self.regressor_ = reg
        return self

    def predict(self, X: Any, exposure: Any = None) -> np.ndarray:
        rate = np.asarray(self.regressor_.predict(X), float)
        return rate if exposure is None else rate * np.asarray(exposure, float)

    def score(self, X: Any, y: Any, exposure: Any = None, sample_weight: Any = None) -> float:
        """R^2 of the expected counts over ``exposure`` (rates when it is None) against ``y``."""
        from sklearn.metrics import r2_score

        return float(r2_score(y, self.predict(X, exposure), sample_weight=sample_weight))


def _standardised(model: Any) -> bool:
    """True when the model is a pipeline that standardises the features before its estimator."""
    from sklearn.preprocessing import StandardScaler

    steps = getattr(getattr(model, "regressor_", model), "steps", None) or []
    return any(isinstance(step, StandardScaler) for _, step in steps[:-1])


def summary_qualifier(model: Any, exposure_name: str | None = None) -> str:
    """What a reader of the final estimator's summary must know about the model around it:
    ``" (fitted on standardised features: ...)"`` and, with an exposure, whether the summary is
    of an offset model or of a rate fitted by weights."""
    words = ""
    if _standardised(model):
        words = (" (fitted on standardised features: each coefficient is per standard deviation "
                 "of its term)" if hasattr(_final(model), "coef_") else
                 " (fitted on standardised features)")
    if exposure_name:
        e = exposure_name
        words += (f" (fitted to the rate per unit of {e}, weighted by {e})"
                  if isinstance(model, Exposed) and not model.offset else
                  f" (offset log({e}): the model is for the rate per unit of {e})")
    return words


def _linear(ctx: dict) -> tuple[Any, str]:
    return _reglab("models.linear", "LinearRegression")(), ""


def _degree2(degree: int = 2) -> Any:
    """The degree-2 terms of a rung: every column, every pairwise product and the squares of
    the columns with more than two values (the square of a 0/1 dummy is aliased with it)."""
    from sklearn.preprocessing import PolynomialFeatures

    from reglab._poly import QuadraticFeatures

    return QuadraticFeatures() if degree == 2 else PolynomialFeatures(degree, include_bias=False)


def _polynomial(ctx: dict) -> tuple[Any, str]:
    from sklearn.preprocessing import StandardScaler

    est, note = _linear(ctx)
    return _pipe(StandardScaler(), _degree2(), est), note


def _glm(family: str) -> Callable[[dict], tuple[Any, str]]:
    def factory(ctx: dict) -> tuple[Any, str]:
        if family == "negative_binomial":  # alpha estimated by ML (MASS::glm.nb)
            return _make(_reglab("models.glm", "NegativeBinomial"), max_iter=100), ""
        glm = _reglab("models.glm", "GLM")
        return _make(glm, family=family, link="log", max_iter=100), ""

    return factory


def _gam(ctx: dict) -> tuple[Any, str]:
    family = {"counts": "poisson", "positive": "gamma"}.get(ctx["task"], "gaussian")
    link = "log" if family != "gaussian" else None  # as the GLM rungs: the inverse link can go <= 0
    gam = _reglab("models.gam", "GAM")
    return _make(gam, family=family, link=link, k=10 if ctx["fast"] else 20), ""


FOREST_LARGE = 20_000  # rows above which the forest grows 100 trees (not 200) on ~this many rows


def _forest(ctx: dict) -> tuple[Any, str]:
    """Trees on every core. On large data 100 trees, not 200: the second hundred moved a
    held-out RMSE from 0.53406 to 0.53350 (30,000 x 6 training rows) and doubles the time,
    ~0.15 s a tree there on two cores, paid once per fold and once more on all rows. And each
    tree grows on a bootstrap sample of FOREST_LARGE / n of the rows it is fitted on
    (``max_samples``, as R's ``sampsize``: FOREST_LARGE rows in the final fit, 80% of that in
    a 5-fold CV fold): on 80,000 x 8 training rows 3.6x faster
    with a held-out RMSE of 0.5208 against 0.5280 (the deep trees overfit less), and for
    classes 3.2x faster at equal accuracy (0.8885 vs 0.8873; log-loss 0.2714 vs 0.2673)."""
    kind = "RandomForestClassifier" if ctx["n_classes"] else "RandomForestRegressor"
    cls = _reglab("models.forest", kind)
    n = ctx.get("n_samples", 0)
    large = n > FOREST_LARGE
    trees = 40 if ctx["fast"] else 100 if large else 200
    note = ""
    if large:
        note = (f"{trees} trees, each on a bootstrap sample of {FOREST_LARGE / n:.0%} of the "
                f"rows (more than {FOREST_LARGE:,} rows)")
    return _make(cls, n_estimators=trees, random_state=ctx["seed"], min_samples_leaf=2,
                 n_jobs=-1, max_samples=FOREST_LARGE / n if large else None), note


def _mlp(ctx: dict) -> tuple[Any, str]:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    classify = ctx["n_classes"] is not None
    cls = _reglab("models.mlp", "MLPClassifier" if classify else "MLPRegressor")
    wanted = {"hidden_layer_sizes": (32, 32), "max_iter": 300 if ctx["fast"] else 1000,
              "random_state": ctx["seed"], "activation": "tanh", "verbose": False}
    if ctx["task"] == "counts":
        wanted["family"] = "poisson"  # the count network's output layer is a Poisson GLM
    est = _scaled(_make(cls, **wanted))
    if classify or ctx["task"] == "counts":
        return est, ""
    # a Gaussian network trains best on a standardised response; predictions are unscaled
    return TransformedTargetRegressor(est, transformer=StandardScaler()), ""


def _logistic(degree: int) -> Callable[[dict], tuple[Any, str]]:
    def factory(ctx: dict) -> tuple[Any, str]:
        from sklearn.preprocessing import StandardScaler

        name = "SoftmaxRegression" if ctx["n_classes"] and ctx["n_classes"] > 2 else \
            "LogisticRegression"
        # Degree-2 terms often separate the classes exactly (circle, XOR), where the MLE runs
        # off to infinity; a tiny ridge keeps the estimate finite (so no AIC for this rung).
        extra = {"alpha": 1e-4} if degree > 1 else {}
        est = _make(_reglab("models.logistic", name), max_iter=200, **extra)
        note = "L2 alpha = 1e-4 (finite under separation)" if degree > 1 else ""
        steps = [StandardScaler()]
        if degree > 1:
            steps.append(_degree2(degree))
        return _pipe(*steps, est), note

    return factory


def _eiv(ctx: dict) -> tuple[Any, str]:
    cls = _reglab("bayes", "ErrorsInVariablesRegression")
    n = 300 if ctx["fast"] else 1000
    return _make(cls, num_samples=n, num_warmup=n, num_chains=1 if ctx["fast"] else 2,
                 random_state=ctx["seed"], verbose=False), ""


def _bayes_nb(ctx: dict) -> tuple[Any, str]:
    """The globular-cluster model (de Souza et al. 2015): NB2 counts, latent true covariates
    sampled by NUTS. No closed form here, so one chain of 500 draws (~5 s a fit on 200 rows,
    after ~10 s of compilation): enough for the posterior-mean predictions the leaderboard
    scores; fit ``BayesianGLM`` itself for R-hat over several chains."""
    cls = _reglab("bayes", "BayesianGLM")
    n = 300 if ctx["fast"] else 500
    return _make(cls, family="negative_binomial", num_samples=n, num_warmup=n, num_chains=1,
                 random_state=ctx["seed"], verbose=False), ""


RUNGS: list[Rung] = [
    Rung("linear", REGRESSION, _linear, "gaussian"),
    Rung("polynomial (degree 2)", ("continuous", "positive"), _polynomial, "gaussian"),
    Rung("Gamma GLM (log link)", ("positive",), _glm("gamma"), "gamma"),
    Rung("Poisson GLM", ("counts",), _glm("poisson"), "poisson", offset=True),
    Rung("negative binomial GLM", ("counts",), _glm("negative_binomial"),
         "negative_binomial", offset=True),
    Rung("logistic regression", ("binary",), _logistic(1), "bernoulli"),
    Rung("softmax regression", ("multiclass",), _logistic(1), "categorical"),
    Rung("polynomial logistic (degree 2)", ("binary",), _logistic(2)),
    Rung("GAM", REGRESSION, _gam),
    Rung("random forest", (*REGRESSION, "binary", "multiclass"), _forest),
    Rung("MLP", (*REGRESSION, "binary", "multiclass"), _mlp),
    Rung("errors-in-variables (Bayesian)", ("continuous", "positive"), _eiv, needs_errors=True),
    Rung("Bayesian NB GLM (measurement errors)", ("counts",), _bayes_nb, needs_errors=True,
         offset=True),
]
# the tasks whose ladder has a model that uses measurement errors (--x-err / --y-err)
ERROR_TASKS = tuple(dict.fromkeys(t for r in RUNGS if r.needs_errors for t in r.tasks))


# `reglab fit --model` names (underscores read as spaces) -> the rung names they stand for
_FIT_NAMES = {"forest": ("random forest",),
              # the GLM rungs; a binary target's is the logistic one, a continuous one's
              # (Gaussian, identity link) the least-squares line
              "glm": ("gamma glm (log link)", "poisson glm", "negative binomial glm",
                      "logistic regression"),
              "eiv": ("errors-in-variables (bayesian)",),
              "bayesian glm": ("bayesian nb glm (measurement errors)",)}


def ladder(task: str, *, errors: bool = False, names: list[str] | None = None) -> list[Rung]:
    """The rungs that fit ``task`` (the errors-in-variables rung only when ``errors``).

    ``names`` keeps the rungs named exactly so (case-insensitive) or, failing that, whose name
    starts with it, e.g. ``["linear", "poisson", "mlp"]``; ``reglab fit``'s model names work too
    (``forest``, ``negative_binomial``, ``glm`` for the GLM rungs, ``eiv``, ``bayesian_glm``); an
    unknown name raises ValueError listing the choices.
    """
    rungs = [r for r in RUNGS if task in r.tasks and (errors or not r.needs_errors)]
    if not names:
        return rungs
    chosen: set[str] = set()
    for n in (n.strip().lower().replace("_", " ") for n in names if n.strip()):
        # an exact name wins ("gam" is the GAM, not also "Gamma GLM"), else every prefix match;
        # the names `reglab fit --model` uses name their rungs too
        wanted = _FIT_NAMES.get(n, (n,))
        hits = ([r.name for r in rungs if r.name.lower() in wanted]
                or [r.name for r in rungs if r.name.lower().startswith(wanted)]
                or [r.name for r in rungs if n == "glm" and r.name == "linear"])
        if not hits:
            raise ValueError(f"no model {n!r} for task {task}; choose from "
                             + ", ".join(r.name for r in rungs))
        chosen.update(hits)
    return [r for r in rungs if r.name in chosen]
