"""Formulas for GAMs: ``"y ~ s(x1, k=20) + te(x2, x3) + f(g) + x4 + np.log(x5)"``.

``s()``, ``te()`` and ``f()`` are parsed here into GAM terms (their penalties and centring
constraints belong to the GAM, not to a design matrix); plain column names become linear (numeric)
or factor (text/categorical) terms; every other expression is handed to the least-squares
engineer's formulaic layer (``reglab.models._formula.design_from_formula``) and enters the GAM as
unpenalized linear columns. The GAM is then fitted on a frame holding the raw columns of the terms
plus those design columns; :func:`apply_formula` rebuilds the same frame from new data.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reglab._warn import user_stacklevel
from reglab.models._formula import check_formula_levels, design_from_formula
from reglab.models._splines import Factor, Linear, Smooth, Tensor, f, l, s, supported_basis, te

__all__ = ["parse_formula", "formula_design", "apply_formula", "FormulaDesign", "default_terms"]


def default_terms(cols: list[np.ndarray], k: Any, n_rows: int | None = None) -> list:
    """The terms of ``GAM(terms=None)`` for numeric columns ``cols`` (each (n,)).

    Per column ``j``: ``l(j)`` when it holds two distinct values (a 0/1 dummy: a smooth of it is
    a line, and its other basis directions would be informed by no data), else ``s(j, k=k)``
    with ``k`` (and, for 3 values, the degree) reduced to what the column's distinct values
    support (:func:`reglab.models._splines.supported_basis`), as mgcv users reduce ``k``.
    ``n_rows`` (rows with positive weight): when the smooths would have more coefficients than
    rows (mgcv refuses such a model), every smooth's ``k`` is lowered to a common cap, down
    to 3 (a penalized quadratic), so that the model has at most ``n_rows`` coefficients.
    """
    terms = []
    valid_k = isinstance(k, int | np.integer) and not isinstance(k, bool)
    for j, col in enumerate(cols):
        d = np.unique(col).size
        if d == 2:
            terms.append(l(j))
        elif valid_k and 2 < d < k:
            kj, degree = supported_basis(col, k)
            terms.append(s(j, k=kj, degree=degree))
        else:  # enough values (or d = 1, or an invalid k: Smooth.fit names the problem)
            terms.append(s(j, k=k))
    smooths = [t for t in terms if isinstance(t, Smooth) and isinstance(t.k, int | np.integer)]
    if not valid_k or n_rows is None or not smooths:
        return terms
    # coefficients: intercept + one per linear term + (k - 1) per centred smooth
    room = n_rows - 1 - (len(terms) - len(smooths))
    if 1 + (len(terms) - len(smooths)) + sum(t.k - 1 for t in smooths) > n_rows and room > 0:
        cap = max(3, room // len(smooths) + 1)
        for t in smooths:
            if t.k > cap:
                t.k, t.degree = supported_basis(cols[terms.index(t)], cap, t.degree) \
                    if np.unique(cols[terms.index(t)]).size > 2 else (t.k, t.degree)
    return terms


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` characters outside parentheses/brackets/quotes."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _term_call(piece: str) -> Smooth | Tensor | Factor | None:
    """``s(x1, k=20)``, ``te(x1, x2, k=5)`` or ``f(g)`` as a term object; None otherwise."""

    try:
        node = ast.parse(piece, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("s", "te", "f")):
        return None
    if not all(isinstance(a, ast.Name) for a in node.args):
        raise ValueError(f"formula term {piece!r}: the arguments of {node.func.id}() must be "
                         "column names")
    names = [a.id for a in node.args]
    try:
        kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
    except ValueError as exc:
        raise ValueError(f"formula term {piece!r}: keyword values must be literals") from exc
    want = {"s": 1, "te": 2, "f": 1}[node.func.id]
    if len(names) != want:
        raise ValueError(f"formula term {piece!r}: {node.func.id}() takes {want} column(s)")
    try:
        return {"s": s, "te": te, "f": f}[node.func.id](*names, **kw)
    except TypeError as exc:
        raise ValueError(f"formula term {piece!r}: {exc}") from exc


def parse_formula(formula: str) -> tuple[str, list, list[str]]:
    """``"y ~ s(x1, k=20) + te(x2, x3) + f(g) + x4 + np.log(x5)"`` ->
    ``("y", [Smooth, Tensor, Factor], ["x4", "np.log(x5)"])``: the response, the smooth and
    factor terms, and the parametric pieces (left to formulaic)."""
    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ValueError(f"formula must be a string 'y ~ terms', got {formula!r}")
    lhs, rhs = (p.strip() for p in formula.split("~"))
    if not lhs:
        raise ValueError(f"formula {formula!r} has no response; write 'y ~ ...'")
    terms, pieces = [], []
    for piece in _split_top(rhs, "+"):
        if not piece or piece == "1":
            continue
        if len(_split_top(piece, "-")) > 1 or piece == "0":
            raise ValueError(f"formula {formula!r}: a GAM always has an intercept and no "
                             "term can be removed with '-'")
        term = _term_call(piece)
        (terms if term is not None else pieces).append(term if term is not None else piece)
    return lhs, terms, pieces


@dataclass
class FormulaDesign:
    """What :func:`formula_design` returns: the GAM's fit arguments and how to redo the frame."""

    frame: pd.DataFrame
    y: np.ndarray
    terms: list
    raw: list[str]
    spec: Any
    rows: np.ndarray
    sample_weight: np.ndarray | None


def formula_design(formula: str, data: Any, sample_weight: Any = None) -> FormulaDesign:
    """Terms, fit frame (n_kept, n_columns) and response (n_kept,) for ``formula`` on ``data``."""
    lhs, terms, pieces = parse_formula(formula)
    data = pd.DataFrame(dict(data)) if not isinstance(data, pd.DataFrame) else data
    data = data.reset_index(drop=True)
    plain = [p for p in pieces if p in data.columns]
    exprs = [p for p in pieces if p not in data.columns]
    raw = list(dict.fromkeys([ft for t in terms for ft in t.features] + plain))
    absent = [c for c in raw if c not in data.columns]
    if absent:
        raise ValueError(f"formula {formula!r} uses column(s) {absent}, not in the data")
    for c in plain:
        numeric = pd.api.types.is_numeric_dtype(data[c]) and data[c].dtype != bool
        terms.append(Linear(c) if numeric else Factor(c))
    if isinstance(sample_weight, str):
        sample_weight = data[sample_weight].to_numpy()
    na = data[raw].isna().any(axis=1).to_numpy()
    if na.any():
        warnings.warn(f"{int(na.sum())} row(s) dropped for missing values in {raw} (first at "
                      f"row {int(np.flatnonzero(na)[0])})", stacklevel=user_stacklevel())
    sub = data.loc[~na].reset_index(drop=True)
    y, P, spec, kept = design_from_formula(f"{lhs} ~ {' + '.join(exprs) or '1'}", sub)
    P = P.drop(columns="Intercept", errors="ignore")
    terms += [Linear(c) for c in P.columns]
    frame = pd.concat([sub.iloc[kept][raw].reset_index(drop=True), P.reset_index(drop=True)],
                      axis=1)
    sw = None if sample_weight is None else np.asarray(sample_weight)[~na][kept]
    return FormulaDesign(frame, y.to_numpy(), terms, raw, spec if exprs else None,
                         np.flatnonzero(~na)[kept], sw)


def apply_formula(X: Any, formula: str, raw: list[str], spec: Any) -> Any:
    """The fit frame of new data ``X`` (a DataFrame); other inputs pass through unchanged."""
    if not isinstance(X, pd.DataFrame):
        return X
    missing = [c for c in raw if c not in X.columns]
    if missing:
        raise ValueError(f"column(s) {missing} used by formula {formula!r} are missing")
    frame = X[raw].reset_index(drop=True)
    if spec is None:
        return frame
    check_formula_levels(spec, X)  # an unseen level would become the reference level
    try:
        P = spec.get_model_matrix(X.reset_index(drop=True), na_action="raise")
    except Exception as exc:  # formulaic raises many types; one ValueError naming the formula
        raise ValueError(f"cannot apply formula {formula!r} to the new data: {exc}") from exc
    P = pd.DataFrame(np.asarray(P, dtype=float), columns=list(P.columns))
    return pd.concat([frame, P.drop(columns="Intercept", errors="ignore")], axis=1)
