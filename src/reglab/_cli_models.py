"""The models ``reglab fit`` can build, and the columns it and ``predict`` read besides the
features (exposures; which rows are complete), and ``reglab anova``. Parsing lives in ``cli.py``."""

from __future__ import annotations

import warnings

from reglab._cli_io import (
    STATE,
    UserError,
    checked_column,
    column_list,
    either,
    named_frame,
    note,
)

MODEL_CHOICES = ("linear", "glm", "negative_binomial", "logistic", "softmax", "gam", "mlp",
                 "forest", "eiv", "bayesian_glm")
ERROR_MODELS = ("eiv", "bayesian_glm")  # the models that take --x-err / --y-err
EXPOSURE_MODELS = ("glm", "negative_binomial", "bayesian_glm")  # ... and --exposure


_REGRESSION = ("continuous", "positive", "counts")
_ALL = (*_REGRESSION, "binary", "multiclass")
# the targets each model can fit (a 0/1 target by least squares is the linear probability model)
MODEL_TASKS = {"linear": (*_REGRESSION, "binary"), "glm": (*_REGRESSION, "binary"),
               "negative_binomial": ("counts",), "logistic": ("binary",),
               "softmax": ("binary", "multiclass"), "gam": (*_REGRESSION, "binary"),
               "mlp": _ALL, "forest": _ALL, "eiv": ("continuous", "positive"),
               "bayesian_glm": (*_REGRESSION, "binary")}


def _check_task(name: str, task: str, target: str) -> None:
    """A model that cannot fit the target is refused, naming the models that can."""
    if task in MODEL_TASKS[name]:
        return
    can = [m for m in MODEL_CHOICES if task in MODEL_TASKS[m]]
    raise UserError(f"--model {name} does not fit a {task} target ('{target}'); for {task} "
                    f"use {either(can)} (or --task to override the detected task)")


def build_model(name: str, family: str | None, link: str | None, task: str, seed: int,
                target: str = "y"):
    from reglab._ladder import _make, _reglab

    if name not in MODEL_CHOICES:
        raise UserError(f"unknown model {name!r}; choose from {', '.join(MODEL_CHOICES)}")
    if family and name not in ("glm", "gam", "bayesian_glm"):
        raise UserError("--family applies to --model glm, gam or bayesian_glm only")
    if link and name not in ("glm", "gam"):
        raise UserError("--link applies to --model glm or gam only")
    _check_task(name, task, target)
    classify = task in ("binary", "multiclass")
    bayes = {"random_state": seed, "verbose": not STATE["quiet"]}
    spec = {"linear": ("models.linear", "LinearRegression", {}),
            "glm": ("models.glm", "GLM", {"family": family or _default_family(task),
                                          "link": link}),
            "negative_binomial": ("models.glm", "NegativeBinomial", {}),
            "logistic": ("models.logistic", "LogisticRegression", {}),
            "softmax": ("models.logistic", "SoftmaxRegression", {}),
            "gam": ("models.gam", "GAM", {"family": family or _default_family(task),
                                          "link": link}),
            "mlp": ("models.mlp", "MLPClassifier" if classify else "MLPRegressor",
                    {"random_state": seed}),
            "forest": ("models.forest",
                       "RandomForestClassifier" if classify else "RandomForestRegressor",
                       {"random_state": seed, "oob_score": True}),
            "eiv": ("bayes", "ErrorsInVariablesRegression", bayes),
            "bayesian_glm": ("bayes", "BayesianGLM", {"family": family or _bayes_family(task),
                                                      **bayes})}[name]
    try:
        return _make(_reglab(spec[0], spec[1]), **spec[2])
    except ImportError as exc:
        raise UserError(f"model {name!r} is not available in this build: {exc}") from None


def _side_values(df, column: str, rows, what: str, rule: str, strict: bool):
    """The ``what`` column (exposure, weights) for ``rows`` as floats, or a UserError naming
    the missing column or the first row that breaks ``rule``."""
    if column not in df.columns:
        raise UserError(f"{what} column '{column}' not found; columns are: {column_list(df)}")
    return checked_column(df.loc[rows, column], f"{what} column '{column}'", rule, strict)


def exposure_values(df, column: str, rows):
    """The exposure column for ``rows``, refused unless every value is a finite number > 0."""
    return _side_values(df, column, rows, "exposure", "exposures are finite and > 0", True)


def weight_values(df, column: str | None, rows):
    """The ``--weights`` column for ``rows`` (None without the option): finite, >= 0, and not
    all zero, else an error naming the row."""
    if not column:
        return None
    import pandas as pd

    values = _side_values(df, column, rows, "weights", "weights are finite and >= 0", False)
    if not values.any():
        raise UserError(f"weights column '{column}' is 0 in every row")
    return pd.Series(values, name=column)


def compare_exposure(df, prepared, column: str | None):
    """``compare --exposure``: the column as a named Series for the count target's rows, with a
    note on how the ladder uses it; refused for other targets."""
    if not column:
        return None
    import pandas as pd

    if prepared.task != "counts":
        raise UserError(f"--exposure applies to count targets; '{prepared.target}' is "
                        f"{prepared.task} (--task counts if it holds counts)")
    values = exposure_values(df, column, prepared.frame.index)
    t = prepared.target
    note(f"note: exposure '{column}': the GLMs take log({column}) as an offset, the other "
         f"models fit the rate {t} / {column} weighted by {column}; every model is scored on "
         f"the expected {t}, rate x {column}")
    return pd.Series(values, name=column)


def _bayes_family(task: str) -> str:
    """BayesianGLM's family for a task: NB2 for counts (the globular-cluster model)."""
    return {"counts": "negative_binomial", "binary": "bernoulli"}.get(task, "gaussian")


def _default_family(task: str) -> str:
    return {"counts": "poisson", "positive": "gamma", "binary": "binomial"}.get(task, "gaussian")


_TITLES = {"eiv": "errors-in-variables (Bayesian)", "bayesian_glm": "Bayesian GLM"}


def model_name(choice: str, model) -> str:
    """``"glm (poisson, log link)"``: the ``--model`` choice (the Bayesian ones by their
    title, ``"errors-in-variables (Bayesian)"``) with its family and link."""
    fam = getattr(model, "family", None)
    fam = fam if isinstance(fam, str) else getattr(fam, "name", None)
    link = getattr(model, "link", None)
    parts = [p for p in (fam if fam != choice else None,
                         f"{link} link" if isinstance(link, str) else None) if p]
    title = _TITLES.get(choice, choice)
    return f"{title} ({', '.join(parts)})" if parts else title


def describe(model, title: str = "", schema: dict | None = None) -> str:
    """The model's summary; for a compare pipeline, that of its final estimator, under
    ``title`` (what the summary is of, e.g. "fitted on standardised features"); for classes
    (``schema``), followed by the key from the class codes the model saw to the labels."""
    from reglab._ladder import _final

    final = _final(model)
    text = str(final.summary()) if hasattr(final, "summary") else repr(model)
    text = f"{title}\n\n{text}" if title else text
    key = class_key(schema)
    return f"{text}\n{key}" if key else text


def class_key(schema: dict | None) -> str:
    """``"class codes: 0 = 'no', 1 = 'yes' (...)"``: what the numbered classes of a classifier's
    summary are (the models are fitted on the codes 0..K-1 of the sorted labels); "" otherwise."""
    classes = (schema or {}).get("classes")
    if not classes:
        return ""
    codes = ", ".join(f"{k} = {c!r}" for k, c in enumerate(classes))
    target = schema.get("target", "y")
    if len(classes) == 2:
        return (f"class codes: {codes} (a probability or log-odds in the summary is of "
                f"{target} = {classes[1]!r})")
    return (f"class codes: {codes} (the summary's numbered classes; an unpenalised softmax "
            f"model's coefficients are against the baseline {classes[0]!r})")


def save_with_meta(model, path, prepared, name: str, summary: str, source: str,
                   exposure: str | None, weights: str | None, **extra):
    """Write ``model`` as a model file whose metadata lets ``predict`` and ``summary`` read
    it: the data schema, the model's name and summary, the exposure and weights columns."""
    from datetime import UTC, datetime

    from reglab import __version__
    from reglab.io import ModelFileError, save_model

    meta = {"schema": prepared.schema, "model": name, "summary": summary, "exposure": exposure,
            "weights": weights, "source": source, "reglab_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"), **extra}
    try:
        return save_model(model, path, meta=meta, X_check=named_frame(prepared))
    except ModelFileError as exc:
        raise UserError(f"{name} cannot be saved: {exc}") from None


INTERVALS = ("confidence", "prediction")
_WITH_INTERVALS = "linear, gam, glm, negative_binomial, eiv and bayesian_glm"


def interval_bounds(model, X, kind: str, level: float, extra: dict, name: str | None = None):
    """``(lower, upper)`` of the ``kind`` interval at ``level`` around ``model``'s predictions:
    the models' own ``predict(X, interval=kind)`` (linear, GAM, GLMs: R's bands; prediction
    intervals for Gaussian families only), and for Bayesian models the credible band of the mean
    (confidence) or the quantiles of posterior predictive draws (prediction). A compare model
    is unwrapped: an offset model's GLM, a pipeline's final estimator (after its transformers).
    Other models, ``name`` in the message, are a UserError."""
    import inspect

    import numpy as np

    from reglab._ladder import Exposed

    if kind not in INTERVALS:
        raise UserError(f"--interval must be confidence or prediction, got {kind!r}")
    if not 0 < level < 1:
        raise UserError(f"--level must lie between 0 and 1, got {level:g}")
    if isinstance(model, Exposed) and model.offset:
        model = model.regressor_  # a GLM with log(exposure) as offset: it takes the exposure
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(model, "samples_"):  # Bayesian: the posterior draws
        if kind == "confidence":
            _, lo, hi = model.predict(X, return_interval=True, level=level, **extra)
            return lo, hi
        kept = int(np.prod(next(iter(model.samples_.values())).shape[:2]))  # chains x draws
        draws = model.sample_posterior_predictive(X, n_draws=min(4000, kept), **extra)
        # quantiles that are draws (counts stay whole numbers), not interpolations between them
        lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0,
                             method="inverted_cdf")
        return lo, hi
    if isinstance(model, Exposed) or "interval" not in inspect.signature(final.predict).parameters:
        raise UserError(f"--interval: the {name or type(model).__name__} model has no "
                        f"intervals; the models with them are {_WITH_INTERVALS}")
    try:  # a pipeline hands interval= and level= to its final estimator's predict
        band = model.predict(X, interval=kind, level=level, **extra)
    except ValueError as exc:
        raise UserError(f"--interval {kind}: {exc}") from None
    return band["lwr"].to_numpy(), band["upr"].to_numpy()


def complete_rows(df, schema: dict, skip_missing: bool, also: tuple[str, ...] = ()):
    """Boolean mask of the rows to predict: all, or (``--skip-missing``) those with every
    feature the model uses present, and the ``also`` columns (an exposure); a missing value is
    otherwise an error naming its place."""
    used = [f["name"] for f in schema["features"] if f["name"] in df.columns]
    used += [c for c in also if c in df.columns and c not in used]
    miss = df[used].isna()
    bad = miss.any(axis=1).to_numpy()
    what = "feature value" if not also else "feature or " + "/".join(also) + " value"
    if bad.any() and not skip_missing:
        from reglab.data import row_label

        col = next(c for c in used if miss[c].any())
        where = row_label(df, miss.index[miss[col]][0], inner=True)
        raise UserError(f"column '{col}' has a missing value in {where} "
                        f"({int(bad.sum())} of {len(df)} rows have one); pass --skip-missing to "
                        "leave such rows without a prediction")
    if bad.all():
        raise UserError(f"every row has a missing {what}: nothing to predict")
    if bad.any():
        note(f"note: {int(bad.sum())} of {len(df)} rows have a missing {what}; their "
             "predictions are left empty")
    return ~bad


def spread(values, keep):
    """``values`` for the rows in ``keep``, NaN (an empty CSV cell) for the others."""
    import numpy as np

    full = np.full(keep.shape[0], np.nan)
    full[keep] = values
    return full


ANOVA_TESTS = {"default": None, "F": "F", "Chisq": "Chisq", "LRT": "LRT", "none": False}


def anova_text(files: list, test: str) -> str:
    """``reglab anova``: R's ``anova(m1, m2, ...)`` of saved linear models or GLMs (nested
    fits of one target on the same rows), as text; anything else is a UserError (one file
    too: a saved model keeps no data for its sequential table)."""
    from reglab._ladder import Exposed
    from reglab.inference.anova import anova
    from reglab.io import load_model

    if test not in ANOVA_TESTS:
        raise UserError(f"--test must be one of {', '.join(ANOVA_TESTS)}, got {test!r}")
    if len(files) < 2:  # a saved model keeps no data, which one model's table would need
        raise UserError(f"anova: pass two or more model files to compare; got {len(files)} "
                        "(the sequential table of one model, R's anova(fit), needs its data: "
                        "in Python, reglab.anova(model, data=df))")
    models = []
    for f in files:
        m = load_model(f).model
        models.append(m.regressor_ if isinstance(m, Exposed) and m.offset else m)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = anova(*models, test=ANOVA_TESTS[test])
    except (TypeError, ValueError) as exc:
        raise UserError(f"anova: {exc}") from None
    for w in caught:
        note(f"warning: {w.message}")
    files_part = ", ".join(f"{k} = {f}" for k, f in enumerate(files, 1))
    return f"files: {files_part}\n\n{table}"
