r"""Iteratively reweighted least squares (Fisher scoring) for any core ``Family``, penalized or not.

One IRLS serves GLM, NegativeBinomial, LogisticRegression and the GAM engineer's penalized fits. It
minimises the penalized half deviance

.. math::

    F(\theta) = \tfrac12 \sum_i D_i(y_i, \mu_i) + \tfrac12 \theta^\top P \theta,
    \qquad \eta = \tilde X \theta + o,\quad \mu = g^{-1}(\eta),

where ``D_i`` is the weighted unit deviance, ``o`` the offset and ``X~ = [1, X]`` when
``fit_intercept`` (the intercept is ``theta[0]``). Each iteration solves by Cholesky

.. math::

    (\tilde X^\top W \tilde X + P)\, \theta_{new} = \tilde X^\top (W(\eta - o) - g),

with ``g, W = family.gradient_hessian(y, eta, sample_weight)``: ``W(eta - o) - g`` is the working
response ``z = eta - o - g / W`` times the weights, written without the division.

Speed: IRLS is bound by passes over X. One *pass* streams X in row blocks that fit in cache and, in
the same sweep, computes ``eta`` at the current theta, the deviance (for the convergence and
step-halving tests), and the weighted Gram matrix and right-hand side for the next step. So an
iteration reads X exactly once; ``IRLSResult.n_passes`` counts the sweeps.
"""

from __future__ import annotations

import math
import os
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from reglab._warn import user_stacklevel
from reglab.solvers._irls_checks import (
    RankDeficientError,
    as_penalty,
    check_vectors,
    raise_aliased,
    raise_nonfinite,
)
from reglab.solvers._irls_steps import (
    _light_finish,
    _penalized,
    _quasi_newton,
    _refamily,
    _solve,
    _step,
)
from reglab.solvers._irls_sweep import _Problem

__all__ = ["irls", "irls_state", "IRLSResult", "ConvergenceWarning", "RankDeficientError"]

try:  # one warning class for the whole ecosystem, so filters written for scikit-learn apply
    from sklearn.exceptions import ConvergenceWarning
except ImportError:  # pragma: no cover - scikit-learn is a hard dependency

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """An iterative solver stopped before meeting its convergence criterion."""


# From this many rows on, IRLS starts from a fit on a random 1/16 of the rows (recursively: a
# 10^6-row fit starts from 62,500 rows, which start from 3,900).
_SUBSAMPLE_MIN_ROWS = 50_000
_SUBSAMPLE_FRACTION = 16
_SUBSAMPLE_TOL = 1e-6
# a subsample's information serves as the full fit's first Hessian from this many rows on
_QN_MIN_ROWS = 2000


_CONTROLLER: list[ThreadpoolController] = []


def one_blas_thread():
    """Context limiting BLAS to one thread (the controller scans loaded libraries once)."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


@dataclass
class IRLSResult:
    """Outcome of :func:`irls`. ``q = n_features + fit_intercept``; the intercept is ``theta[0]``.

    theta: (q,) coefficients; eta, mu, weights: (n,) at theta (weights are the Fisher weights W);
    gram: (q, q) ``X~^T W X~`` at theta (unpenalized); hessian: (q, q) ``gram + P``;
    step_hessian: (q, q) the ``gram + P`` of the previous iterate, whose solve produced theta:
    R's ``glm.fit`` keeps that QR, so ``summary.glm`` standard errors use it (they differ from
    ``hessian``'s by O(last step), ~1e-6 relative at R's default tolerance);
    deviance: weighted deviance at theta; penalized_deviance: ``deviance + theta^T P theta``;
    n_iter: IRLS iterations; n_passes: sweeps over X; converged: deviance criterion met;
    deviance_path: deviance after each iteration; message: why it stopped; y_table: the
    distinct values of y and their total prior weights when y holds small counts (else None),
    for statistics that sum a function of y alone (see ``reglab.core._counts``).
    """

    theta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    weights: np.ndarray
    gram: np.ndarray
    hessian: np.ndarray
    deviance: float
    penalized_deviance: float
    n_iter: int
    n_passes: int
    converged: bool
    message: str
    deviance_path: list[float] = field(default_factory=list)
    fit_intercept: bool = True
    step_hessian: np.ndarray | None = None
    y_table: tuple | None = None

    @property
    def intercept(self) -> float:
        return float(self.theta[0]) if self.fit_intercept else 0.0

    @property
    def coef(self) -> np.ndarray:
        return self.theta[1:] if self.fit_intercept else self.theta


def _starting_mu(family, y, sw):
    """R's ``mustart``; binomial with trials needs the weights: (w y + 0.5) / (w + 1)."""
    if sw is None:
        return family.starting_mu(y)
    try:
        return family.starting_mu(y, sample_weight=sw)
    except TypeError:  # a family whose start ignores weights
        return family.starting_mu(y)


def _fallback_theta(y, family, sample_weight, q, fit_intercept, offset):
    """The intercept-only start ``(link(mean y), 0, ..., 0)``, valid for every family's link."""
    if not fit_intercept or offset is not None:
        return None
    theta = np.zeros(q)
    with np.errstate(all="ignore"):
        ybar = np.average(_starting_mu(family, y, sample_weight), weights=sample_weight)
        theta[0] = float(family.link.link(np.asarray([ybar]))[0])
    return theta if np.isfinite(theta).all() else None


def irls(X: Any, y: Any, family: Any, *, sample_weight: Any = None, offset: Any = None,
         penalty: Any = None, start: Any = None, fit_intercept: bool = True, tol: float = 1e-8,
         max_iter: int = 100, max_halving: int = 30, column_names: list[str] | None = None,
         n_threads: int | None = None, r_last_step: bool = False,
         check_rank: bool = True, family_update: Any = None,
         start_hessian: Any = None) -> IRLSResult:
    """Fit ``theta`` by penalized IRLS (Fisher scoring) with step halving.

    X: (n, p) float array (no intercept column when ``fit_intercept``); y: (n,) response in the
    family's range (binomial with trials: proportions, with ``sample_weight`` = trials);
    family: a core ``Family`` (``mean``, ``deviance``, ``gradient_hessian``, ``starting_mu``,
    ``link.link``); sample_weight: (n,) prior weights >= 0; offset: (n,) added to eta;
    penalty: None, a scalar ridge, or P of shape (p, p) (intercept left unpenalized) or (q, q);
    start: (q,) initial theta, else R's ``mustart``; tol: R's criterion
    ``|dev - dev_old| / (|dev| + 0.1) < tol`` on the penalized deviance; n_threads: threads for
    the sweeps over X (default: all cores; used only when X is big: >= 4e6 entries and many
    blocks); r_last_step: stop
    as R's ``glm.fit`` does, returning the last step's coefficients with the ``gram``/``hessian``
    of the previous iterate, which saves the Gram of the final pass (see ``_light_finish``);
    False (default) ends with the information at the returned theta. check_rank=False skips the
    aliasing check, for repeated fits on an X already checked. family_update: None or a callable
    ``(mu, family) -> Family | None`` called after every accepted step (the NB dispersion by ML
    between IRLS steps): a returned family (same link) replaces the current one at the current
    eta, without a pass over X, and the iteration goes on; ``None`` means the family has settled,
    and from then on the fit is an ordinary IRLS at that family, stopped by R's rule; a tuple
    ``(family, True)`` switches to a last family and settles.
    start_hessian: (q, q) an approximation of the unpenalized information ``X~^T W X~`` at
    ``start``, e.g. a subsample's rescaled to n rows: the first steps are then quasi-Newton,
    from passes that compute only the gradient (no Gram). On >= 50,000 rows without ``start``,
    IRLS finds both by a fit on a random 1/16 of the rows.
    Raises ValueError naming the row/column for non-finite data, RankDeficientError naming the
    aliased columns; warns ConvergenceWarning (with the reason) when it stops early.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}")
    y = np.asarray(y, dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    off = None if offset is None else np.asarray(offset, dtype=np.float64)
    names = list(column_names) if column_names is not None else [f"x{j}" for j in range(X.shape[1])]
    check_vectors(y, sw, off, X.shape[0])
    threads = (os.cpu_count() or 1) if n_threads is None else int(n_threads)
    prob = _Problem(X, y, family, sw, off, fit_intercept, threads)
    P = as_penalty(penalty, prob.p, prob.q)
    # Big data: one BLAS thread per sweep thread. OpenBLAS's own threads on small per-block
    # products (and on dot products) cost more than they give, badly so on a loaded machine.
    limit = one_blas_thread() if X.size > 200_000 else nullcontext()
    try:
        with limit:
            # (not for the Gaussian identity fit: its first Newton step is already exact)
            if (start is None and X.shape[0] >= _SUBSAMPLE_MIN_ROWS
                    and (family.name, family.link.name) != ("gaussian", "identity")):
                start, start_hessian = _subsample_start(X, y, family, sw, off, P, fit_intercept,
                                                        threads)
            return _fit(prob, X, y, family, sw, off, P, start, names, tol, max_iter, max_halving,
                        r_last_step, check_rank, family_update, start_hessian)
    finally:
        prob.close()


def subsample_rows(n: int, fraction: int, seed: int = 0) -> np.ndarray:
    """Sorted distinct random rows, about ``n / fraction`` of them (draws with replacement,
    duplicates dropped: ~40x cheaper than ``choice(replace=False)``, which permutes all n)."""
    r = np.sort(np.random.default_rng(seed).integers(0, n, max(n // fraction, 1)))
    return r[np.r_[True, r[1:] != r[:-1]]]  # np.unique hashes first: 5x slower here


def subsample_information(gram: np.ndarray, n: int, n_sub: int) -> np.ndarray | None:
    """A subsample fit's ``X~^T W X~`` rescaled to n rows, as ``start_hessian`` for the full fit;
    None when the subsample is too small for it to be accurate (its relative error is about
    sqrt(q / n_sub); quasi-Newton steps then contract too slowly to beat Gram passes)."""
    q = gram.shape[0]
    if n_sub < max(_QN_MIN_ROWS, 100 * q) or not np.isfinite(gram).all():
        return None
    return gram * (n / n_sub)


def _subsample_start(X, y, family, sw, off, P, fit_intercept, threads):
    """Coefficients fitted on a random 1/16 of the rows, and that fit's information rescaled to
    the full data (unpenalized): a start within a few standard errors of the full-data optimum
    with a Hessian good to ~1/sqrt(n/16) relative, so the first full passes need only the
    gradient (see ``_quasi_newton``). Any trouble on the subsample just means no warm start:
    (None, None)."""
    n = X.shape[0]
    rows = subsample_rows(n, _SUBSAMPLE_FRACTION)

    def sub(v):
        return None if v is None else np.take(v, rows, axis=0)  # 2x faster than v[rows]

    Ps = None if P is None else P * (len(rows) / n)  # the same penalty per observation
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = irls(sub(X), sub(y), family, sample_weight=sub(sw), offset=sub(off),
                       penalty=Ps, fit_intercept=fit_intercept, tol=_SUBSAMPLE_TOL,
                       n_threads=threads, r_last_step=True)
    except (ValueError, np.linalg.LinAlgError):
        return None, None
    if not np.isfinite(res.theta).all():
        return None, None
    return res.theta, subsample_information(res.gram, n, len(rows))


def _fit(prob, X, y, family, sw, off, P, start, names, tol, max_iter, max_halving, light,
         check_rank=True, update=None, start_hessian=None):
    fit_intercept = prob.fit_intercept
    fallback = _fallback_theta(y, family, sw, prob.q, fit_intercept, off)
    if start is not None and start_hessian is not None and max_iter >= 2:
        H0 = np.asarray(start_hessian, dtype=np.float64)
        qn = _quasi_newton(prob, np.asarray(start, dtype=np.float64),
                           H0 if P is None else H0 + P, P, tol, max_halving, update)
        if qn is not None:
            theta_cur, sweep, path, update = qn
            if check_rank:
                raise_aliased(sweep.gram if P is None else sweep.gram + P, fit_intercept, names)
            return _iterate(prob, sweep, theta_cur, P, tol, max_iter, max_halving, fallback,
                            light, update, path)
    if start is None:
        theta_cur = None
        with np.errstate(all="ignore"):
            sweep = prob.sweep(None, eta0=family.link.link(_starting_mu(family, y, sw)))
    else:
        theta_cur = np.asarray(start, dtype=np.float64).copy()
        sweep = prob.sweep(theta_cur)
    if not sweep.valid:
        raise_nonfinite(X, names)
        raise ValueError("no valid starting point: the deviance is not finite at the start; "
                         "supply `start` coefficients")
    if check_rank:
        raise_aliased(sweep.gram if P is None else sweep.gram + P, fit_intercept, names)
    return _iterate(prob, sweep, theta_cur, P, tol, max_iter, max_halving, fallback, light,
                    update)


def _iterate(prob, sweep, theta_cur, P, tol, max_iter, max_halving, fallback,
             light: bool = False, update=None, path: list[float] | None = None) -> IRLSResult:
    """IRLS iterations from ``sweep`` at ``theta_cur``; ``path``: deviances of a quasi-Newton
    first step already taken (its iteration counts as the first)."""
    pen_cur = sweep.deviance if theta_cur is None else _penalized(sweep.deviance, theta_cur, P)
    path = [] if path is None else list(path)
    first = 1 + len(path)
    converged, message, n_iter, H = False, "", 0, None
    settled = update is None
    for n_iter in range(first, max_iter + 1):
        H = sweep.gram if P is None else sweep.gram + P
        try:
            theta = _solve(H, sweep.rhs)
        except np.linalg.LinAlgError:
            message = f"weighted Gram matrix not positive definite at iteration {n_iter}"
            break
        done = (_light_finish(prob, sweep, theta, theta_cur, H, pen_cur, P, tol)
                if light and settled and theta_cur is not None else None)
        if done is not None:
            path.append(done.deviance)
            return _finish(prob, done, theta, P, True, "", n_iter, path, H)
        newton = theta
        theta, new = _step(prob, theta, theta_cur, pen_cur, P, max_halving, fallback)
        if theta is None:
            if settled and _at_optimum(newton, theta_cur, H, pen_cur, tol):
                # the Newton step predicts a decrease below tol: the deviance "rose" by its own
                # rounding (huge counts sum terms ~1e10 to a deviance ~1e3); theta_cur is it
                sweep, converged = prob.sweep(theta_cur), True
                break
            message = (f"step halving failed at iteration {n_iter}: no step of the {max_halving} "
                       "halvings gave a valid fit with a lower deviance")
            break
        sweep, pen = new, _penalized(new.deviance, theta, P)
        path.append(new.deviance)
        change = abs(pen - pen_cur) / (abs(pen) + 0.1)
        theta_cur, pen_cur = theta, pen
        if not settled:
            settled, sweep, pen_cur = _refamily(prob, update, sweep, theta, pen, P)
            change = change if settled else math.inf
        if change < tol:
            converged = True
            break
        message = (f"did not converge in {max_iter} iterations: relative deviance change "
                   f"{change:.3g} > tol {tol:g} (deviance {new.deviance:.6g})")
    return _finish(prob, sweep, theta_cur, P, converged, message, n_iter, path, H)


def _at_optimum(newton, theta_cur, H, pen_cur, tol) -> bool:
    """Whether the full Newton step from ``theta_cur`` predicts a deviance decrease ``d' H d``
    below R's tolerance: the point is the optimum to the deviance's resolution."""
    if theta_cur is None or H is None:
        return False
    d = newton - theta_cur
    return bool(float(d @ H @ d) < tol * (abs(pen_cur) + 0.1))


def _finish(prob, sweep, theta, P, converged, message, n_iter, path, H_step) -> IRLSResult:
    if theta is None:
        raise ValueError(f"IRLS found no valid coefficients ({message}); supply `start`")
    if not converged:
        warnings.warn(f"IRLS: {message}", ConvergenceWarning, stacklevel=user_stacklevel())
        sweep = prob.sweep(theta)  # make eta, mu, weights and the Gram describe theta
    H = sweep.gram if P is None else sweep.gram + P
    return IRLSResult(
        theta=theta, eta=prob.eta, mu=prob.mu, weights=prob.w, gram=sweep.gram, hessian=H,
        deviance=sweep.deviance, penalized_deviance=_penalized(sweep.deviance, theta, P),
        n_iter=n_iter, n_passes=prob.n_passes, converged=converged,
        message="converged" if converged else message, deviance_path=path,
        fit_intercept=prob.fit_intercept, step_hessian=H if H_step is None else H_step,
        y_table=getattr(prob.kernel, "table", None))


def irls_state(X: Any, y: Any, family: Any, theta: Any, *, sample_weight: Any = None,
               offset: Any = None, penalty: Any = None, fit_intercept: bool = True,
               converged: bool = True, n_iter: int = 0, message: str = "given") -> IRLSResult:
    """The :class:`IRLSResult` at a given ``theta`` (one pass, no iteration): eta, mu, the Fisher
    weights and information, for inference after another solver (L-BFGS, gradient descent)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    off = None if offset is None else np.asarray(offset, dtype=np.float64)
    prob = _Problem(X, y, family, sw, off, fit_intercept)
    P = as_penalty(penalty, prob.p, prob.q)
    theta = np.asarray(theta, dtype=np.float64)
    with one_blas_thread() if X.size > 200_000 else nullcontext():
        sweep = prob.sweep(theta)
    H = sweep.gram if P is None else sweep.gram + P
    return IRLSResult(
        theta=theta, eta=prob.eta, mu=prob.mu, weights=prob.w, gram=sweep.gram, hessian=H,
        deviance=sweep.deviance, penalized_deviance=_penalized(sweep.deviance, theta, P),
        n_iter=n_iter, n_passes=prob.n_passes, converged=converged, message=message,
        fit_intercept=fit_intercept, step_hessian=H)
