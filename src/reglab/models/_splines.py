r"""Model terms of a GAM: P-spline smooths, tensor products, linear and factor terms.

A *P-spline* (Eilers & Marx 1996) is a cubic B-spline basis with ``k`` functions on equally spaced
knots and a difference penalty on neighbouring coefficients:

.. math::

    f(x) = \sum_{j=1}^{k} B_j(x)\,\beta_j, \qquad
    \text{penalty} = \lambda\, \beta^\top D_m^\top D_m \beta = \lambda \sum_j (\Delta^m \beta_j)^2,

``D_m`` the ``(k - m, k)`` matrix of ``m``-th differences. The penalty's null space holds the
polynomials of degree < m (constants and lines for m = 2), which are left unpenalized.

Identifiability: every smooth is centred, ``sum_i f(x_i) = 0`` over the training rows, by the
reparametrisation ``beta = Z beta~`` with ``Z`` (k, k - 1) spanning the null space of the
constraint row ``1' B`` (mgcv's approach). The model intercept carries the overall level, and the
penalty becomes ``Z' S Z``. Because the B-splines sum to one and ``S 1 = 0``, the centred model
spans exactly the same functions as the raw bases with one intercept.

A tensor-product smooth ``te(x1, x2)`` uses the row-wise Kronecker product of two marginal bases,
``B[i] = B1[i] (x) B2[i]`` with ``k1 * k2`` columns, and two penalties ``S1 (x) I`` and ``I (x) S2``
(one smoothing parameter per direction), then the same centring.

Every term has ``fit(cols)`` (learn knots / levels / constraint from the training columns),
``basis(cols) -> (n, n_coef)`` and ``penalties`` (a list of ``(n_coef, n_coef)`` matrices,
empty for unpenalized terms). ``cols`` is a list of 1-D arrays, one per feature of the term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reglab.models._bspline import (
    bspline_basis,
    bspline_knots,
    bspline_sparse,
    difference_penalty,
    row_kron,
    sum_to_zero_basis,
    supported_basis,
)

__all__ = ["supported_basis", "bspline_knots", "bspline_basis", "bspline_sparse",
           "difference_penalty", "row_kron", "sum_to_zero_basis", "Smooth", "Tensor", "Linear",
           "Factor", "s", "te", "l", "f", "term_from_dict"]


def _check_k(k: Any, degree: int, order: int, label: str) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"{label}: k must be an integer, got {k!r}")
    if k < max(degree + 1, order + 1, 3):
        raise ValueError(f"{label}: k = {k} is too small; need k >= {max(degree + 1, order + 1, 3)}"
                         f" for degree {degree} and difference order {order}")
    return int(k)


def _check_distinct(x: np.ndarray, k: int, name: str, label: str) -> None:
    """An explicit ``k`` larger than the column's number of distinct values is an error (as in
    mgcv): the basis would have directions no data point informs."""
    d = np.unique(x).size
    if 1 < d < k:
        raise ValueError(f"{label}: column {name!r} has only {d} distinct values, fewer than k = "
                         f"{k}; use k <= {d} (or leave k out: s() then picks the largest k the "
                         "data support), or a linear l() / factor f() term")


def _range(x: np.ndarray, label: str) -> tuple[float, float]:
    lo, hi = float(np.min(x)), float(np.max(x))
    if not hi > lo:
        raise ValueError(f"{label}: the feature is constant (every value is {lo!r}); a smooth "
                         "needs at least two distinct values")
    return lo, hi


def _name(feature: Any) -> str:
    """Display name before fit: a column name as is, index ``j`` as ``x{j+1}`` (1-based, as
    ``LinearRegression``/``GLM`` name NumPy columns)."""
    return feature if isinstance(feature, str) else f"x{int(feature) + 1}"


def _names(term: Any) -> tuple[str, ...]:
    """The display names of a term's features: the fitted ``names_`` (the model's column names,
    set by the GAM at fit) or, before fit, :func:`_name` of each feature."""
    return term.names_ if term.names_ else tuple(_name(ft) for ft in term.features)


@dataclass
class Smooth:
    """Penalized cubic regression spline ``s(feature, k)``: B-splines + difference penalty.

    feature: column index or name; k: number of B-spline basis functions (before centring), an
    error when the column has fewer distinct values; None: 10, or the largest basis the column's
    distinct values support (:func:`supported_basis`; fit sets ``k`` and ``degree`` to it);
    degree: spline degree (3 = cubic); order: difference order of the penalty (2 = wiggliness
    around a straight line).
    """

    feature: Any
    k: int | None = None
    degree: int = 3
    order: int = 2
    knots_: np.ndarray | None = field(default=None, repr=False)
    Z_: np.ndarray | None = field(default=None, repr=False)
    names_: tuple | None = field(default=None, repr=False)

    kind = "smooth"

    @property
    def features(self) -> tuple:
        return (self.feature,)

    @property
    def label(self) -> str:
        return f"s({_names(self)[0]})"

    def fit(self, cols: list[np.ndarray]) -> Smooth:
        if self.k is None:
            d = np.unique(cols[0]).size
            if d == 2:
                raise ValueError(f"{self.label}: column {_names(self)[0]!r} has only 2 distinct "
                                 "values; a smooth of it is a line: use a linear l() or factor f()"
                                 " term")
            # d = 1: _range names the constant column; d >= 10: the default basis
            self.k, self.degree = supported_basis(cols[0], 10, self.degree) if 2 < d < 10 \
                else (10, self.degree)
        k = _check_k(self.k, self.degree, self.order, self.label)
        _check_distinct(cols[0], k, _names(self)[0], self.label)
        self.knots_ = bspline_knots(*_range(cols[0], self.label), k, self.degree)
        self.Z_ = sum_to_zero_basis(self.raw_basis(cols))
        return self

    def raw_basis(self, cols: list[np.ndarray]):
        """(n, k) sparse B-spline design: four nonzeros per row, so ``raw @ Z`` is cheap."""
        return bspline_sparse(cols[0], self.knots_, self.degree)

    @property
    def basis_size(self) -> int:
        return self.Z_.shape[1]

    def basis(self, cols: list[np.ndarray]) -> np.ndarray:
        return np.asarray(self.raw_basis(cols) @ self.Z_)

    @property
    def penalties(self) -> list[np.ndarray]:
        S = difference_penalty(self.knots_.size - self.degree - 1, self.order)
        return [self.Z_.T @ S @ self.Z_]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "feature": self.feature, "k": self.k, "degree": self.degree,
                "order": self.order, "knots": self.knots_.tolist(), "Z": self.Z_.tolist()}


@dataclass
class Tensor:
    """Tensor-product smooth ``te(feature1, feature2)`` with one penalty per direction.

    k: basis size per margin (int or pair); degree, order: as for :class:`Smooth`.
    """

    feature1: Any
    feature2: Any
    k: Any = 5
    degree: int = 3
    order: int = 2
    margins_: list | None = field(default=None, repr=False)
    Z_: np.ndarray | None = field(default=None, repr=False)
    names_: tuple | None = field(default=None, repr=False)

    kind = "tensor"

    @property
    def features(self) -> tuple:
        return (self.feature1, self.feature2)

    @property
    def label(self) -> str:
        return "te({},{})".format(*_names(self))

    def _ks(self) -> tuple[int, int]:
        ks = (self.k, self.k) if np.ndim(self.k) == 0 else tuple(self.k)
        if len(ks) != 2:
            raise ValueError(f"{self.label}: k must be an int or a pair, got {self.k!r}")
        return tuple(_check_k(kk, self.degree, self.order, self.label) for kk in ks)

    def fit(self, cols: list[np.ndarray]) -> Tensor:
        for c, kk, nm in zip(cols, self._ks(), _names(self)):
            _check_distinct(c, kk, nm, self.label)
        self.margins_ = [bspline_knots(*_range(c, self.label), kk, self.degree)
                         for c, kk in zip(cols, self._ks())]
        self.Z_ = sum_to_zero_basis(self.raw_basis(cols))
        return self

    @property
    def basis_size(self) -> int:
        return self.Z_.shape[1]

    def raw_basis(self, cols: list[np.ndarray]) -> np.ndarray:
        B1, B2 = (bspline_basis(c, t, self.degree) for c, t in zip(cols, self.margins_))
        return row_kron(B1, B2)

    def basis(self, cols: list[np.ndarray]) -> np.ndarray:
        return self.raw_basis(cols) @ self.Z_

    @property
    def penalties(self) -> list[np.ndarray]:
        k1, k2 = (t.size - self.degree - 1 for t in self.margins_)
        S1 = np.kron(difference_penalty(k1, self.order), np.eye(k2))
        S2 = np.kron(np.eye(k1), difference_penalty(k2, self.order))
        return [self.Z_.T @ S @ self.Z_ for S in (S1, S2)]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "feature1": self.feature1, "feature2": self.feature2,
                "k": list(self._ks()), "degree": self.degree, "order": self.order,
                "margins": [t.tolist() for t in self.margins_], "Z": self.Z_.tolist()}


@dataclass
class Linear:
    """Unpenalized linear term ``beta * x``."""

    feature: Any
    names_: tuple | None = field(default=None, repr=False)

    kind = "linear"
    penalties: list = field(default_factory=list, init=False, repr=False)

    @property
    def features(self) -> tuple:
        return (self.feature,)

    @property
    def label(self) -> str:
        return _names(self)[0]

    basis_size = 1

    def fit(self, cols: list[np.ndarray]) -> Linear:
        return self

    def basis(self, cols: list[np.ndarray]) -> np.ndarray:
        return np.asarray(cols[0], dtype=np.float64)[:, None]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "feature": self.feature}


@dataclass
class Factor:
    """Unpenalized factor term: treatment (dummy) coding, the first level is the reference."""

    feature: Any
    levels_: list | None = field(default=None, repr=False)
    names_: tuple | None = field(default=None, repr=False)

    kind = "factor"
    penalties: list = field(default_factory=list, init=False, repr=False)

    @property
    def features(self) -> tuple:
        return (self.feature,)

    @property
    def label(self) -> str:
        return f"f({_names(self)[0]})"

    def fit(self, cols: list[np.ndarray]) -> Factor:
        levels = sorted({_level(v) for v in cols[0]}, key=lambda v: (str(type(v)), v))
        if len(levels) < 2:
            raise ValueError(f"{self.label}: a factor needs at least two levels, got {levels}")
        self.levels_ = levels
        return self

    @property
    def basis_size(self) -> int:
        return len(self.levels_) - 1

    def basis(self, cols: list[np.ndarray]) -> np.ndarray:
        index = {v: i for i, v in enumerate(self.levels_)}
        codes = np.empty(len(cols[0]), dtype=np.intp)
        for i, v in enumerate(cols[0]):
            code = index.get(_level(v))
            if code is None:
                raise ValueError(f"{self.label}: unknown level {v!r} at row {i}; levels seen in "
                                 f"fit: {self.levels_}")
            codes[i] = code
        return (codes[:, None] == np.arange(1, len(self.levels_))[None, :]).astype(np.float64)

    @property
    def coef_names(self) -> list[str]:
        return [f"{_names(self)[0]}[{v}]" for v in self.levels_[1:]]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "feature": self.feature, "levels": self.levels_}


def _level(v: Any) -> Any:
    """A hashable, JSON-friendly level: numbers as float/int, everything else as str."""
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        if not np.isfinite(v):
            raise ValueError(f"factor level {v!r} is not a valid level (NaN or inf)")
        return int(v) if float(v).is_integer() else float(v)
    return str(v)


def s(feature: Any, k: int | None = None, degree: int = 3, order: int = 2) -> Smooth:
    """A P-spline smooth of one feature (mgcv's ``s(x, bs="ps", k=k)``).

    ``k=None``: 10 basis functions, fewer when the column has fewer distinct values (see
    :func:`supported_basis`); an explicit ``k`` above the number of distinct values is an error.
    """
    return Smooth(feature, k=k, degree=degree, order=order)


def te(feature1: Any, feature2: Any, k: Any = 5, degree: int = 3, order: int = 2) -> Tensor:
    """A tensor-product smooth of two features (mgcv's ``te(x1, x2, bs="ps", k=k)``)."""
    return Tensor(feature1, feature2, k=k, degree=degree, order=order)


def l(feature: Any) -> Linear:  # noqa: E743 - pyGAM's name for a linear term
    """An unpenalized linear term."""
    return Linear(feature)


def f(feature: Any) -> Factor:
    """An unpenalized factor (categorical) term."""
    return Factor(feature)


def term_from_dict(d: dict) -> Smooth | Tensor | Linear | Factor:
    """Rebuild a fitted term from :meth:`to_dict` output (arrays as nested lists)."""
    kind = d.get("kind")
    if kind == "smooth":
        return Smooth(d["feature"], d["k"], d["degree"], d["order"],
                      np.asarray(d["knots"], dtype=np.float64), np.asarray(d["Z"]))
    if kind == "tensor":
        return Tensor(d["feature1"], d["feature2"], tuple(d["k"]), d["degree"], d["order"],
                      [np.asarray(t, dtype=np.float64) for t in d["margins"]], np.asarray(d["Z"]))
    if kind == "linear":
        return Linear(d["feature"])
    if kind == "factor":
        return Factor(d["feature"], list(d["levels"]))
    raise ValueError(f"unknown term kind {kind!r} in saved model")

