"""R-style formulas for any reglab estimator, through formulaic.

``Model.from_formula("y ~ x1 + x2 + I(x1**2) + np.sin(x1**2 * x2)", df, **params)`` builds the
design matrix with formulaic, fits the estimator on it and keeps formulaic's ``ModelSpec``, so that
``predict(new_df)`` re-applies exactly the same transform (the same categorical levels, the same
stateful-transform state such as spline knots or centring constants).

The design's ``Intercept`` column is not passed to the estimator: it becomes
``fit_intercept=True`` (and its absence, as in ``y ~ x - 1``, ``fit_intercept=False``), so the
estimator's own intercept handling, term names (``"Intercept"``) and inference apply unchanged.

Extension point: formula functions are looked up in a registry. The GAM module registers its smooth
term with ``register_formula_transform("s", s)`` (typically a formulaic ``stateful_transform``, so
its knots live in the ModelSpec); an estimator may also add names per class by overriding
:meth:`FormulaMixin._formula_context`.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from formulaic.errors import DataMismatchWarning

from reglab._warn import user_stacklevel
from reglab.core._xp import plain

__all__ = ["FormulaMixin", "register_formula_transform", "FORMULA_TRANSFORMS",
           "formula_spec_to_dict", "formula_spec_from_dict",
           "design_from_formula", "check_formula_levels"]

#: Name -> function available inside every formula (beside ``np`` and formulaic's built-ins).
FORMULA_TRANSFORMS: dict[str, Callable[..., Any]] = {}


def register_formula_transform(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``func`` callable as ``name(...)`` inside formulas; returns ``func`` (decorator use)."""
    if not name.isidentifier():
        raise ValueError(f"formula transform name must be an identifier, got {name!r}")
    FORMULA_TRANSFORMS[name] = func
    return func


def _context(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"np": np, "numpy": np}
    ctx.update(FORMULA_TRANSFORMS)
    if extra:
        ctx.update(extra)
    return ctx


def _check_data(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        return pd.DataFrame(dict(data))
    raise TypeError(f"formula data must be a pandas DataFrame or a mapping, got {type(data)!r}")


def design_from_formula(formula: str, data: Any, context: Mapping[str, Any] | None = None):
    """Evaluate ``formula`` on ``data``: ``(y, X, spec, kept_rows)``.

    Returns
    -------
    y : pandas Series, shape (n_kept,), or None for a one-sided formula (``"~ x1 + x2"``).
        A response that is a plain column name is returned raw (strings stay strings, so
        classifiers see labels rather than formulaic's dummy columns).
    X : pandas DataFrame, shape (n_kept, n_columns), with formulaic's column names
        (including ``Intercept`` when present).
    spec : formulaic ``ModelSpec`` of the right-hand side (re-apply with ``spec.get_model_matrix``).
    kept_rows : ndarray of int, positions in ``data`` of the rows kept. Rows with a missing value in
        any variable the formula uses are dropped, as R's ``na.omit`` does, with a warning.
    """
    from formulaic import Formula, model_matrix

    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string, got {type(formula)!r}")
    data = _check_data(data)
    frame = data.reset_index(drop=True)  # positions, so kept rows can index fit arguments
    parsed = Formula(formula)
    ctx = _context(context)
    two_sided = hasattr(parsed, "lhs")
    lhs_name = str(parsed.lhs).strip() if two_sided else None
    try:
        mm = model_matrix(formula, frame, context=ctx)
    except Exception as exc:  # formulaic raises many types; name the formula in one ValueError
        raise ValueError(f"cannot evaluate formula {formula!r}: {exc}") from exc
    rhs = mm.rhs if two_sided else mm
    kept = np.asarray(rhs.index, dtype=np.intp)
    if len(kept) < len(frame):
        dropped = np.setdiff1d(np.arange(len(frame)), kept)
        warnings.warn(f"{len(dropped)} row(s) dropped for missing values (first at row "
                      f"{int(dropped[0])}); the fit uses {len(kept)} rows",
                      stacklevel=user_stacklevel())
    y = None
    if two_sided:
        if lhs_name in frame.columns:
            y = frame[lhs_name].iloc[kept]
        else:
            lhs = mm.lhs
            if lhs.shape[1] != 1:
                raise ValueError(f"the response {lhs_name!r} of formula {formula!r} expands to "
                                 f"{lhs.shape[1]} columns {list(lhs.columns)}; expected one")
            y = lhs.iloc[:, 0]
        y = pd.Series(np.asarray(y), index=kept, name=lhs_name)
    X = pd.DataFrame(np.asarray(rhs, dtype=float), index=kept, columns=list(rhs.columns))
    return y, X, rhs.model_spec, kept


class FormulaMixin:
    """Adds ``from_formula`` to an estimator; ``predict`` on a DataFrame re-applies the formula.

    Fitted attributes set by :meth:`from_formula`: ``formula_`` (the string), ``formula_spec_``
    (formulaic ``ModelSpec`` of the right-hand side), ``term_names_`` (design columns, with
    ``"Intercept"`` when the formula has one), ``formula_rows_`` (positions of the rows used).
    Estimators call :meth:`_formula_transform` at the top of ``predict``-like methods.
    """

    @classmethod
    def from_formula(cls, formula: str, data: Any, *, context: Mapping[str, Any] | None = None,
                     fit_params: Mapping[str, Any] | None = None, **params: Any):
        """Build the design from ``formula`` and ``data`` and return a fitted estimator.

        Parameters
        ----------
        formula : str
            Wilkinson formula, e.g. ``"y ~ x1 + x2 + I(x1**2) + np.sin(x1**2 * x2)"``; ``- 1``
            removes the intercept. ``np`` and registered transforms are in scope.
        data : pandas DataFrame (or mapping of columns), shape (n_samples, ...)
        context : extra names available inside the formula (functions, constants).
        fit_params : keyword arguments of ``fit`` (``sample_weight``, ``offset``, ...). A string
            value names a column of ``data``; arrays must have one entry per row of ``data``.
        **params : estimator constructor parameters (``family="poisson"``, ...).
        """
        ctx = {**cls._formula_context(), **(context or {})}
        y, X, spec, kept = design_from_formula(formula, data, ctx)
        if y is None:
            raise ValueError(f"formula {formula!r} has no response; write 'y ~ ...'")
        X, params = cls._split_intercept(X, params)
        est = cls(**params)
        fit_kwargs = _rows_of_fit_params(fit_params, _check_data(data), kept)
        est.fit(X, y.to_numpy(), **fit_kwargs)
        est.formula_ = formula
        est.formula_spec_ = spec
        est.formula_context_ = dict(context or {})
        est.term_names_ = list(spec.column_names)
        est.formula_rows_ = kept
        return est

    @classmethod
    def _split_intercept(cls, X: pd.DataFrame, params: dict[str, Any]):
        """Drop the ``Intercept`` column into ``fit_intercept`` when the estimator has that knob."""
        has_knob = "fit_intercept" in cls._get_param_names()
        if not has_knob:
            return X, params
        want = "Intercept" in X.columns
        given = params.get("fit_intercept")
        if given is not None and bool(given) != want:
            raise ValueError(f"fit_intercept={given!r} contradicts the formula, which "
                             f"{'has' if want else 'has no'} intercept (use '- 1' to remove it)")
        params = {**params, "fit_intercept": want}
        return (X.drop(columns="Intercept") if want else X), params

    @classmethod
    def _formula_context(cls) -> dict[str, Any]:
        """Per-class names for formulas; subclasses extend (``{**super()..., "s": s}``)."""
        return {}

    def _formula_transform(self, X: Any) -> Any:
        """Apply the fitted formula to raw data; identity when not fitted from a formula.

        Returns the design (pandas DataFrame, without ``Intercept`` when that became
        ``fit_intercept``) for a DataFrame/mapping input; other inputs pass through unchanged.
        """
        spec = getattr(self, "formula_spec_", None)
        if spec is None or not isinstance(X, pd.DataFrame | Mapping):
            return X
        frame = _check_data(X)
        ctx = _context({**self._formula_context(), **getattr(self, "formula_context_", {})})
        check_formula_levels(spec, frame)
        try:
            with warnings.catch_warnings():  # an unseen level formulaic would make NaN (all 0)
                warnings.simplefilter("error", DataMismatchWarning)
                design = spec.get_model_matrix(frame, context=ctx, na_action="raise")
        except Exception as exc:
            msg = f"cannot apply formula {self.formula_!r} to the new data: {exc}"
            raise ValueError(msg) from exc
        design = pd.DataFrame(np.asarray(design, dtype=float), index=frame.index,
                              columns=list(design.columns))
        if getattr(self, "fit_intercept", False) and "Intercept" in design.columns:
            design = design.drop(columns="Intercept")
        return design


def check_formula_levels(spec: Any, data: pd.DataFrame) -> None:
    """Raise ValueError when a categorical factor of ``spec`` has a level not seen in fitting.

    formulaic would encode such a level as the reference level (all dummies 0) with a generic
    warning; R (``factor g has new level typo``) and patsy refuse. The message names the column,
    each unseen level with its first row (``data``'s index label), and the fitted levels, in the
    words of the CLI's check (``reglab.data.encode``). Missing values are left to the caller's
    missing-value check. Factors given by an expression that is not a column or ``C(column,
    ...)`` are left to formulaic's DataMismatchWarning (which ``_formula_transform`` raises).
    """
    for name, (kind, state) in spec.encoder_state.items():
        if getattr(kind, "value", kind) != "categorical" or state.get("categories") is None:
            continue
        column = _factor_column(name, data)
        if column is None:
            continue
        values = data[column]
        unseen = values.notna() & ~values.isin(list(state["categories"]))
        if unseen.any():
            raise ValueError(_unseen_message(column, values[unseen], state["categories"]))


def _factor_column(name: str, data: pd.DataFrame) -> str | None:
    """The column of ``data`` that factor ``name`` encodes (``g``, ``C(g, ...)``), or None."""
    if name in data.columns:
        return name
    if name.startswith("`") and name.endswith("`") and name[1:-1] in data.columns:
        return name[1:-1]
    try:
        node = ast.parse(name, mode="eval").body
    except SyntaxError:
        return None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "C"
            and node.args and isinstance(node.args[0], ast.Name)
            and node.args[0].id in data.columns):
        return node.args[0].id
    return None


def _unseen_message(column: str, unseen: pd.Series, levels: list[Any]) -> str:
    first: dict[Any, Any] = {}  # level -> its first row
    for row, v in unseen.items():
        first.setdefault(plain(v), row)
    known = ", ".join(str(plain(v)) for v in levels)
    if len(first) == 1:
        (level, row), = first.items()
        return (f"column '{column}' has level {level!r} in row {row} that was not in the "
                f"training data (levels: {known})")
    shown = ", ".join(f"{v!r} (row {r})" for v, r in list(first.items())[:5])
    more = f" and {len(first) - 5} more" if len(first) > 5 else ""
    return (f"column '{column}' has levels {shown}{more} that were not in the training data "
            f"(levels: {known})")


def _rows_of_fit_params(fit_params: Mapping[str, Any] | None, data: pd.DataFrame,
                        kept: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (fit_params or {}).items():
        if value is None:
            out[key] = None
            continue
        if isinstance(value, str):
            if value not in data.columns:
                raise ValueError(f"fit_params[{key!r}] names column {value!r}, not in the data")
            arr = data[value].to_numpy()
        else:
            arr = np.asarray(value)
        if arr.ndim == 0 or arr.shape[0] != len(data):
            raise ValueError(f"fit_params[{key!r}] has {arr.shape[:1] or 'no'} rows; the data has "
                             f"{len(data)}")
        out[key] = arr[kept]
    return out


def _plain(v: Any, where: str) -> Any:
    """``v`` as JSON values (numpy scalars and arrays to Python numbers and lists, enums to
    their values); TypeError naming ``where`` for anything else."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x, f"{where}.{k}") for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x, where) for x in v]
    if isinstance(v, np.ndarray):
        return _plain(v.tolist(), where)
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(getattr(v, "value", None), str):  # formulaic's enums (Factor.Kind ...)
        return v.value
    raise TypeError(f"formula state {where} holds a {type(v).__name__}, which has no JSON form")


def formula_spec_to_dict(spec: Any) -> dict[str, Any]:
    """A fitted formulaic ``ModelSpec`` as JSON data: the formula, the categorical levels
    (``encoder_state``) and the stateful transforms' fitted state (``center``, ``scale``, ``bs``
    knots ...). Contrast matrices are not stored: formulaic rebuilds them from the formula and
    the levels. Raises TypeError for state without a JSON form (a custom transform's object)."""
    enc = {name: [_plain(kind, name), _plain({k: v for k, v in state.items() if k != "contrasts"},
                                           name)]
           for name, (kind, state) in spec.encoder_state.items()}
    return {"formula": str(spec.formula), "ensure_full_rank": bool(spec.ensure_full_rank),
            "encoder_state": enc, "transform_state": _plain(spec.transform_state, "transform")}


def formula_spec_from_dict(d: Mapping[str, Any]) -> Any:
    """The ``ModelSpec`` that :func:`formula_spec_to_dict` described: the same design columns
    and values on any new data (tested equal to the fitted spec's)."""
    from formulaic import ModelSpec
    from formulaic.parser.types import Factor

    enc = {name: (Factor.Kind(kind), dict(state)) for name, (kind, state)
           in d["encoder_state"].items()}
    return ModelSpec(formula=d["formula"], materializer="pandas",
                     ensure_full_rank=d["ensure_full_rank"], encoder_state=enc,
                     transform_state=dict(d["transform_state"]))
