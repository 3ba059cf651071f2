"""Polynomial and nonlinear basis expansions as a scikit-learn transformer.

A linear model in a nonlinear basis is still a linear model: the lecture's

    y = b0 + b1 x1 + b2 x2 + b3 x1^2 + b4 x2^2 + b5 sin(x1^2 x2) + eps

is ``LinearRegression`` on the columns ``[x1, x2, x1^2, x2^2, sin(x1^2 x2)]``, which
``BasisExpansion(degree=2, interaction_only=False, terms=["sin(x1^2 x2)"])`` builds (it also
adds the monomial ``x1*x2`` of degree 2).

Terms are written in a small, safe expression language evaluated column-wise with NumPy (no
``eval``): column names, numbers, ``+ - * / ^ **`` (``^`` is a power, as in the lecture),
juxtaposition as multiplication (``"x1 x2^2"``), and the functions in :data:`FUNCTIONS`. A term can
also be a ``(name, callable)`` pair; the callable receives a DataFrame of the input columns and
returns one value per row.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

__all__ = ["BasisExpansion", "FUNCTIONS", "compile_expression"]


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


#: Functions allowed inside term expressions.
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "expm1": np.expm1,
    "log": np.log, "log1p": np.log1p, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt,
    "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "arctan": np.arctan,
    "arcsin": np.arcsin, "arccos": np.arccos, "sign": np.sign, "sigmoid": _sigmoid,
}

_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power}
# whitespace between two operands means multiplication: "x1 x2^2" -> "x1*x2^2"
_JUXTAPOSE = re.compile(r"(?<=[\w.)])\s+(?=[A-Za-z_(\d])")


def _normalise(expr: str) -> str:
    return _JUXTAPOSE.sub("*", expr.strip()).replace("^", "**")


def compile_expression(expr: str, names: list[str]) -> Callable[[dict], np.ndarray]:
    """Compile ``expr`` over the variables ``names`` into ``f(columns) -> array (n,)``.

    Raises ValueError naming the expression and the offending piece (unknown variable or
    function, or a construct outside the language: attributes, calls of non-functions, ...).
    """
    try:
        tree = ast.parse(_normalise(expr), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse basis term {expr!r}: {exc.msg}") from None
    known = set(names)

    def build(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            value = float(node.value)
            return lambda cols: value
        if isinstance(node, ast.Name):
            if node.id not in known:
                raise ValueError(f"basis term {expr!r} uses unknown variable {node.id!r}; "
                                 f"known: {sorted(known)}")
            return lambda cols, k=node.id: cols[k]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            op, left, right = _BINOPS[type(node.op)], build(node.left), build(node.right)
            return lambda cols: op(left(cols), right(cols))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner, sign = build(node.operand), -1.0 if isinstance(node.op, ast.USub) else 1.0
            return lambda cols: sign * inner(cols)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in FUNCTIONS:
                raise ValueError(f"basis term {expr!r} calls unknown function {node.func.id!r}; "
                                 f"allowed: {sorted(FUNCTIONS)}")
            if len(node.args) != 1:
                raise ValueError(f"basis term {expr!r}: {node.func.id}() takes one argument")
            func, arg = FUNCTIONS[node.func.id], build(node.args[0])
            return lambda cols: func(arg(cols))
        raise ValueError(f"basis term {expr!r}: {ast.unparse(node)!r} is not allowed (use "
                         "numbers, column names, + - * / ^ and functions)")

    return build(tree.body)


def _check_finite(Xa: np.ndarray, names: list[str]) -> None:
    bad = ~np.isfinite(Xa)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"X contains NaN or inf at column {names[j]!r}, row {i}")


def _monomial_name(names: list[str], powers: tuple[int, ...]) -> str:
    parts = [n if k == 1 else f"{n}^{k}" for n, k in zip(names, powers) if k]
    return "*".join(parts)


class BasisExpansion(TransformerMixin, BaseEstimator):
    """Columns ``[X (if include_original), monomials of degree 2..degree, terms]``.

    Parameters
    ----------
    degree : int or None
        Add every monomial of total degree 2..``degree`` (``x1^2``, ``x1*x2``, ``x1*x2^2``, ...).
    interaction_only : bool
        With ``degree``: only products of distinct columns (``x1*x2``, no powers).
    terms : list of str or (name, callable)
        Extra columns, e.g. ``["x1^2", "x1 x2^2", "sin(x1^2 x2)", ("ratio", lambda d: d.a / d.b)]``.
    include_original : bool
        Keep the input columns first.

    Input columns are named by the DataFrame's column names, else ``x1 .. xp`` (1-based, like
    the lecture). Shapes: X (n_samples, n_features) -> (n_samples, n_output).
    """

    def __init__(self, degree: int | None = None, interaction_only: bool = False, terms=None,
                 include_original: bool = True):
        self.degree = degree
        self.interaction_only = interaction_only
        self.terms = terms
        self.include_original = include_original

    def fit(self, X, y=None):
        """Learn the input names and compile the terms (no data-dependent state)."""
        cols = getattr(X, "columns", None)
        # check_array, not validate_data: nothing is set on self until every check has passed
        Xa = check_array(X, dtype=np.float64, ensure_all_finite=False)
        str_cols = cols is not None and all(isinstance(c, str) for c in cols)
        names = ([str(c) for c in cols] if str_cols and len(cols) == Xa.shape[1]
                 else [f"x{j + 1}" for j in range(Xa.shape[1])])
        _check_finite(Xa, names)
        if self.degree is not None and (int(self.degree) != self.degree or self.degree < 1):
            raise ValueError(f"degree must be a positive integer, got {self.degree!r}")
        out_names = list(names) if self.include_original else []
        powers = self._powers(Xa.shape[1])
        out_names += [_monomial_name(names, pw) for pw in powers]
        for term in self.terms or []:
            if isinstance(term, str):
                compile_expression(term, names)  # validate now; compiled again in transform
                out_names.append(term.strip())
            elif isinstance(term, tuple) and len(term) == 2 and callable(term[1]):
                out_names.append(str(term[0]))
            else:
                raise ValueError("a term must be a string or a (name, callable) pair, "
                                 f"got {term!r}")
        if not out_names:
            raise ValueError("the basis is empty: set include_original, degree or terms")
        dupes = sorted({n for n in out_names if out_names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate basis columns {dupes}; each term must be new")
        self.n_features_in_ = Xa.shape[1]
        if str_cols:
            self.feature_names_in_ = np.asarray(cols, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.input_names_ = names
        self.output_names_ = out_names
        # plain data only (powers tuples), so the fitted transformer pickles and clones
        self.powers_ = powers
        self.terms_ = list(self.terms or [])  # transform uses these, not a later set_params
        self.n_output_features_ = len(out_names)
        return self

    def _powers(self, p: int):
        if not self.degree or self.degree < 2:
            return []
        out = []
        for d in range(2, int(self.degree) + 1):
            for combo in itertools.combinations_with_replacement(range(p), d):
                if self.interaction_only and len(set(combo)) < d:
                    continue
                out.append(tuple(combo.count(j) for j in range(p)))
        return out

    def transform(self, X):
        """Evaluate the basis: array (n_samples, n_output); non-finite results raise."""
        check_is_fitted(self, "output_names_")
        Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        _check_finite(Xa, self.input_names_)
        cols = {n: Xa[:, j] for j, n in enumerate(self.input_names_)}
        out = [Xa] if self.include_original else []
        with np.errstate(all="ignore"):  # domain errors are reported below, by term and row
            new = [np.broadcast_to(np.asarray(f(cols), dtype=float), (Xa.shape[0],))
                   for f in self._term_functions()]
        if new:
            block = np.column_stack(new)
            bad = ~np.isfinite(block)
            if bad.any():
                i, j = (int(v) for v in np.argwhere(bad)[0])
                name = self.output_names_[j + (Xa.shape[1] if self.include_original else 0)]
                raise ValueError(f"basis term {name!r} is {block[i, j]} at row {i} (outside the "
                                 "function's domain or overflow)")
            out.append(block)
        return check_array(np.hstack(out), dtype=np.float64)

    def _term_functions(self):
        names = self.input_names_
        for pw in self.powers_:
            yield lambda c, pw=pw: np.prod([c[n] ** k for n, k in zip(names, pw) if k], axis=0)
        for term in self.terms_:
            if isinstance(term, str):
                yield compile_expression(term, names)
            else:
                yield lambda c, f=term[1]: np.asarray(f(pd.DataFrame(c)), dtype=float)

    def get_feature_names_out(self, input_features=None):
        """Output column names (``x1``, ``x1^2``, ``x1*x2^2``, ``sin(x1^2 x2)``, ...)."""
        check_is_fitted(self, "output_names_")
        if input_features is not None and list(input_features) != list(self.input_names_):
            raise ValueError(f"input_features {list(input_features)} differ from the names seen "
                             f"in fit {self.input_names_}")
        return np.asarray(self.output_names_, dtype=object)
