r"""Detection of complete and quasi-complete separation in binary (and binomial) regression.

The maximum-likelihood estimate of a logistic (probit, cloglog...) regression does not exist when a
direction :math:`\beta \neq 0` separates the outcomes: :math:`x_i^\top\beta \ge 0` for every row
with a success and :math:`x_i^\top\beta \le 0` for every row with a failure (complete separation
when all inequalities are strict). IRLS then drifts towards infinite coefficients while the
deviance creeps to zero. Following Konis (2007, the method of R's ``detectseparation``), the
linear program

.. math::

    \max_\beta \sum_i s_i x_i^\top \beta \quad \text{s.t.}\quad s_i x_i^\top \beta \ge 0,\;
    -1 \le \beta_j \le 1

(one constraint per row and outcome, ``s = +1`` for successes, ``-1`` for failures, columns scaled
to unit max-norm) has optimum 0 exactly when there is no separation; otherwise its solution is a
separating direction, whose nonzero entries name the separating columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from reglab.core._xp import plain

__all__ = ["detect_separation", "detect_multinomial_separation", "detect_zero_count_divergence",
           "Separation", "SeparationWarning"]


class SeparationWarning(UserWarning):
    """The maximum-likelihood estimate does not exist: the outcomes are (quasi-)separated."""


@dataclass
class Separation:
    """``separated``; ``complete`` (every row strictly on its side); ``columns`` (names of the
    columns in the separating direction); ``direction`` (q,) in the scaled column units."""

    separated: bool
    complete: bool
    columns: list[str]
    direction: np.ndarray
    label: str = ""  # multinomial: the class separated from the others, when it is one class
    constant: float | None = None  # the response's one value (0 or 1) when it is constant
    counts: bool = False  # a count model's zero counts (see detect_zero_count_divergence)

    def message(self) -> str:
        if self.counts:
            return self._counts_message()
        kind = "complete" if self.complete else "quasi-complete"
        what = f"separation of class {self.label} from the others" if self.label else "separation"
        if not self.columns:
            sign = "+" if self.constant == 1 else "-"
            return (f"{kind} {what} by the intercept alone: the response is constant "
                    f"({self._constant_text()}); the intercept estimate diverges (to {sign}inf) "
                    "and the maximum-likelihood estimate does not exist. Check the response "
                    "column")
        cols = ", ".join(repr(c) for c in self.columns)
        const = ("" if self.constant is None
                 else f" (the response is constant: {self._constant_text()})")
        return (f"{kind} {what}: column(s) {cols} separate the outcomes{const}; the maximum-"
                "likelihood estimate does not exist (coefficients diverge). Drop or merge those "
                "columns, or use a penalty (alpha > 0)")

    def _counts_message(self) -> str:
        if not self.columns:
            return ("every count is 0: the intercept estimate diverges (to -inf) and the maximum-"
                    "likelihood estimate does not exist. Check the response column")
        cols = ", ".join(repr(c) for c in self.columns)
        return (f"column(s) {cols} single out rows whose counts are all 0: their coefficients "
                "diverge (the fitted means there go to 0) and the maximum-likelihood estimate "
                "does not exist. Drop or merge those columns, or use a penalty (alpha > 0)")

    def _constant_text(self) -> str:
        if self.label:  # the response of one class against the rest
            return (f"every response is class {self.label}" if self.constant == 1
                    else f"no response is class {self.label}")
        return f"every response is {self.constant:g}"


def detect_separation(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True,
                      column_names: list[str] | None = None,
                      sample_weight: np.ndarray | None = None, tol: float = 1e-7) -> Separation:
    """Check for separation. X: (n, p); y: (n,) in [0, 1] (0/1 or binomial proportions).

    Rows with ``0 < y < 1`` have both outcomes and constrain ``x_i^T beta = 0``; rows with zero
    weight are ignored. Runs one LP with HiGHS: use it as a diagnostic, not in a hot loop.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    names, Z, y = _design(X, y, fit_intercept, column_names, sample_weight)
    succ = y > 0
    fail = y < 1
    q = Z.shape[1]
    # a constant response (every row a success, or every row a failure) is the one case where
    # the intercept alone separates: a row with 0 < y < 1, or two rows of opposite outcomes,
    # pin the intercept's margin at 0. Say so, instead of blaming some column
    constant = 1.0 if not fail.any() else 0.0 if not succ.any() else None
    if constant is not None and fit_intercept:
        direction = np.zeros(q)
        direction[0] = 1.0 if constant else -1.0
        return Separation(True, True, [], direction, constant=constant)
    S = np.vstack([Z[succ], -Z[fail]])  # rows s_i x_i^T
    beta = _lp(S, [(-1.0, 1.0)] * q)
    margin = S @ beta
    # margins are >= -1e-9 (LP feasibility); any clearly positive one is a separated row
    if not margin.max() > tol:
        return Separation(False, False, [], np.zeros(q))
    beta = _minimal_direction(S, beta, fit_intercept, tol)
    complete = _max_min_margin(S) > tol
    k = int(fit_intercept)
    cols = [names[j - k] for j in range(k, q) if beta[j] != 0]
    return Separation(True, complete, cols, beta, constant=constant)


def detect_zero_count_divergence(X: np.ndarray, y: np.ndarray, fit_intercept: bool = True,
                                 column_names: list[str] | None = None,
                                 sample_weight: np.ndarray | None = None,
                                 tol: float = 1e-7) -> Separation:
    """The counts' analogue of separation, for a log-link count model (Poisson, NB, Tweedie):
    the MLE does not exist when some direction ``d`` has ``x_i^T d <= 0`` on every row with
    ``y_i = 0``, ``= 0`` on every row with ``y_i > 0``, and ``< 0`` somewhere (Haberman 1974):
    the fitted means on those zero rows can be pushed to 0 for ever. That is
    :func:`detect_separation` with the zero rows as failures and the positive rows as rows with
    both outcomes (``0 < y < 1`` constrains ``x^T d = 0``); ``counts`` marks the finding."""
    y01 = np.where(np.asarray(y, dtype=float) > 0, 0.5, 0.0)
    sep = detect_separation(X, y01, fit_intercept, column_names, sample_weight, tol)
    sep.counts = True
    return sep


def detect_multinomial_separation(X: np.ndarray, codes: np.ndarray, labels: list[str],
                                  fit_intercept: bool = True,
                                  column_names: list[str] | None = None,
                                  sample_weight: np.ndarray | None = None, tol: float = 1e-7,
                                  max_lp_entries: int = 20_000_000) -> Separation:
    r"""Separation in softmax regression with K classes (codes 0..K-1, class 0 the baseline).

    The MLE does not exist exactly when some direction ``B`` (q, K) with ``B_0 = 0``, not all
    zero, has :math:`x_i^\top (B_{c_i} - B_k) \ge 0` for every row i and class k. One class
    separated from all the others (``B_k = beta``, the rest 0) is the usual case and names the
    class: each class against the rest is checked first with :func:`detect_separation`. Then
    the joint program (the same LP over ``q (K-1)`` unknowns with ``n (K-1)`` constraints, run
    when that matrix has at most ``max_lp_entries`` entries). labels: (K,) class names.
    """
    X = np.asarray(X, dtype=float)
    codes = np.asarray(codes)
    K = len(labels)
    for k in range(K):
        sep = detect_separation(X, (codes == k).astype(float), fit_intercept, column_names,
                                sample_weight, tol)
        if sep.separated:
            sep.label = repr(plain(labels[k]))
            return sep
    names, Z, c = _design(X, codes, fit_intercept, column_names, sample_weight)
    n, q, m = Z.shape[0], Z.shape[1], K - 1
    if n * m * q * m > max_lp_entries:
        return Separation(False, False, [], np.zeros(q * m))
    # row (i, k), k != c_i: x_i^T (B_{c_i} - B_k) over theta laid out (q, m) (class k at k - 1)
    E = np.eye(K)
    D = E[c][:, None, :] - E[None, :, :]  # (n, K, K): e_{c_i} - e_k
    D = D[np.arange(K)[None, :] != c[:, None]].reshape(n, m, K)  # the k != c_i
    S = np.einsum("iq,ikl->ikql", Z, D)[..., 1:].reshape(n * m, q * m)
    beta = _lp(S, [(-1.0, 1.0)] * (q * m))
    if not (S @ beta).max() > tol:
        return Separation(False, False, [], np.zeros(q * m))
    B = np.where(np.abs(beta) > 1e-9, beta, 0.0).reshape(q, m)
    k0 = int(fit_intercept)
    cols = [names[j - k0] for j in range(k0, q) if np.any(B[j] != 0)]
    return Separation(True, _max_min_margin(S) > tol, cols, beta)


def _design(X, y, fit_intercept, column_names, sample_weight):
    """(column names, Z, y) over the rows with positive weight: ``Z = [1, X]`` (or X) with each
    column scaled to unit max-norm (all-zero columns left as they are)."""
    names = list(column_names) if column_names is not None else [f"x{j}" for j in range(X.shape[1])]
    keep = np.ones(len(y), bool) if sample_weight is None else np.asarray(sample_weight) > 0
    Z = (np.column_stack([np.ones(len(y)), X]) if fit_intercept else X)[keep]
    scale = np.abs(Z).max(axis=0)
    return names, Z / np.where(scale == 0, 1.0, scale), y[keep]


def _lp(S: np.ndarray, bounds) -> np.ndarray:
    res = linprog(-S.sum(axis=0), A_ub=-S, b_ub=np.zeros(len(S)), bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible (beta = 0) and bounded
        raise RuntimeError(f"separation LP failed: {res.message}")
    return res.x


def _max_min_margin(S: np.ndarray) -> float:
    """``max_beta min_i s_i x_i^T beta`` over the box: > 0 exactly for complete separation (the
    sum-of-margins LP may sit on a vertex with some margin 0 even then)."""
    q = S.shape[1]
    A = np.hstack([-S, np.ones((len(S), 1))])  # t - s_i x_i^T beta <= 0
    c = np.zeros(q + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A, b_ub=np.zeros(len(S)), bounds=[(-1.0, 1.0)] * q + [(0.0, 1.0)],
                  method="highs")
    return float(res.x[-1]) if res.status == 0 else 0.0


def _minimal_direction(S, beta, fit_intercept: bool, tol: float) -> np.ndarray:
    """Drop columns from the separating direction while the rest still separates.

    The LP optimum is not unique: a separating direction may carry small incidental weights on
    unrelated columns. Greedily (smallest weight first) fix each column's coefficient at 0 and
    keep it out whenever the remaining columns still separate, so the columns named are needed.
    """
    q = len(beta)
    beta = np.where(np.abs(beta) > 1e-9, beta, 0.0)
    bounds = [(-1.0, 1.0) if beta[j] != 0 else (0.0, 0.0) for j in range(q)]
    # the intercept is never "a column" to blame; one column is always kept, since the
    # intercept alone separates only a constant response, which detect_separation handles first
    start = int(fit_intercept)
    for j in sorted(range(start, q), key=lambda j: abs(beta[j])):
        if beta[j] == 0 or sum(b != (0.0, 0.0) for b in bounds[start:]) <= 1:
            continue
        trial = list(bounds)
        trial[j] = (0.0, 0.0)
        cand = _lp(S, trial)
        if (S @ cand).max() > tol:
            bounds, beta = trial, np.where(np.abs(cand) > 1e-9, cand, 0.0)
    return beta
