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
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla
from threadpoolctl import ThreadpoolController

from reglab.solvers._irls_checks import (
    RankDeficientError,
    as_penalty,
    check_vectors,
    raise_aliased,
    raise_nonfinite,
)
from reglab.solvers._irls_kernels import kernel_for

__all__ = ["irls", "irls_state", "IRLSResult", "ConvergenceWarning", "RankDeficientError"]

try:  # one warning class for the whole ecosystem, so filters written for scikit-learn apply
    from sklearn.exceptions import ConvergenceWarning
except ImportError:  # pragma: no cover - scikit-learn is a hard dependency

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """An iterative solver stopped before meeting its convergence criterion."""


# Rows per block: ~2 MB of X per block keeps the scaled copy and the temporaries in L2/L3 cache.
_BLOCK_BYTES = 1 << 21
# From this many rows on, IRLS starts from a fit on a random 1/16 of the rows.
_SUBSAMPLE_MIN_ROWS = 320_000


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
    deviance_path: deviance after each iteration; message: why it stopped.
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

    @property
    def intercept(self) -> float:
        return float(self.theta[0]) if self.fit_intercept else 0.0

    @property
    def coef(self) -> np.ndarray:
        return self.theta[1:] if self.fit_intercept else self.theta


@dataclass
class _Sweep:
    deviance: float
    gram: np.ndarray
    rhs: np.ndarray
    valid: bool


class _Problem:
    """Data of one fit and the single-pass kernel over X."""

    def __init__(self, X, y, family, sample_weight, offset, fit_intercept, n_threads=1):
        self.X, self.y, self.family = X, y, family
        self.sw, self.offset, self.fit_intercept = sample_weight, offset, fit_intercept
        n, p = X.shape
        self.n, self.p, self.q = n, p, p + int(fit_intercept)
        self.block = max(256, min(n, _BLOCK_BYTES // (8 * max(p, 1))))
        self.eta = np.empty(n)
        self.mu = np.empty(n)
        self.w = np.empty(n)
        self.kernel = kernel_for(family, y, sample_weight)
        self.n_passes = 0
        # threads only pay off on big data; each needs at least a few blocks
        t = max(1, min(n_threads, n // (4 * self.block)))
        # per thread, the scaled block sqrt(w) X, reused: its Gram is the block's X^T W X
        # matching X's memory order: scaling a Fortran-ordered block by sqrt(w) runs down whole
        # columns, ~2.5x faster than broadcasting over short C rows (NegativeBinomial passes F)
        order = "F" if X.flags.f_contiguous and not X.flags.c_contiguous else "C"
        self._buffers = [np.empty((self.block, self.p), order=order) for _ in range(t)]
        self._pool = ThreadPoolExecutor(t) if t > 1 else None

    def set_family(self, family) -> float:
        """Switch to ``family`` (same link) at the current eta: mu, W and the deviance, which is
        returned, are recomputed from the stored eta, with no pass over X."""
        self.family, self.kernel = family, kernel_for(family, self.y, self.sw, self.kernel)
        with np.errstate(all="ignore"):
            if self.kernel is None:
                mu, dev, _, w = self._family_step(0, self.n, self.eta)
            else:
                mu, dev, _, w = self.kernel.step(0, self.n, self.eta)
                dev += self.kernel.const
        self.mu[:], self.w[:] = mu, w
        return float(dev)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _eta(self, a, b, theta, eta0):
        if eta0 is not None:
            self.eta[a:b] = eta0[a:b]
            return self.eta[a:b]
        k = int(self.fit_intercept)
        eta = self.X[a:b] @ theta[k:]
        if k:
            eta += theta[0]
        if self.offset is not None:
            eta += self.offset[a:b]
        self.eta[a:b] = eta
        return eta

    def _family_step(self, a, b, eta):
        """(mu, block deviance, g, W) through the generic Family API."""
        fam, sw = self.family, None if self.sw is None else self.sw[a:b]
        mu = fam.mean(eta)
        dev = float(fam.deviance(self.y[a:b], mu, sample_weight=sw))
        g, w = fam.gradient_hessian(self.y[a:b], eta, sample_weight=sw)
        return mu, dev, g, w

    def _blocks(self, starts, theta, eta0, A) -> tuple[float, np.ndarray, np.ndarray]:
        """The blocks whose first rows ``starts`` yields: (deviance part, Gram part, rhs part);
        ``A=None``: only eta, mu, W and the deviance (a light pass, no Gram)."""
        q, k = self.q, int(self.fit_intercept)
        gram, rhs, dev = np.zeros((q, q)), np.zeros(q), 0.0
        step = self._family_step if self.kernel is None else self.kernel.step
        for a in starts:
            b = min(a + self.block, self.n)
            Xb = self.X[a:b]
            eta = self._eta(a, b, theta, eta0)
            mu, d, g, w = step(a, b, eta)
            self.mu[a:b], self.w[a:b] = mu, w
            dev += d
            if A is None:
                continue
            # W z = W (eta - offset) - g: the weighted working response
            v = w * (eta if self.offset is None else eta - self.offset[a:b]) - g
            Ab = A[: b - a]
            np.multiply(Xb, np.sqrt(w)[:, None], out=Ab)
            gram[k:, k:] += Ab.T @ Ab  # numpy dispatches A.T @ A to BLAS syrk
            rhs[k:] += Xb.T @ v
            if k:  # the intercept row: cheaper than a ones column in the scaled copy
                gram[0, 0] += w.sum()
                gram[0, 1:] += w @ Xb
                rhs[0] += v.sum()
        return dev, gram, rhs

    def sweep(self, theta: np.ndarray | None, eta0: np.ndarray | None = None,
              gram: bool = True) -> _Sweep:
        """One pass over X: eta at ``theta`` (or the given ``eta0``), deviance, Gram and rhs
        (``gram=False``: eta, mu, W and deviance only; Gram and rhs are then zero).

        ``n_threads`` threads (NumPy and BLAS release the GIL) take the next block from one
        shared iterator, so a thread the OS holds back does not hold up the others; each has its
        own scaled-block buffer and partial sums, added at the end.
        """
        self.n_passes += 1
        starts = iter(range(0, self.n, self.block))  # next() on it is atomic under the GIL
        bufs = self._buffers if gram else [None] * len(self._buffers)
        with np.errstate(all="ignore"):  # overflow here means an invalid step, handled below
            if len(bufs) == 1:
                parts = [self._blocks(starts, theta, eta0, bufs[0])]
            else:
                parts = list(self._pool.map(
                    lambda buf: self._blocks(starts, theta, eta0, buf), bufs))
        dev = (0.0 if self.kernel is None else self.kernel.const) + sum(p[0] for p in parts)
        gram = sum(p[1] for p in parts)
        rhs = sum(p[2] for p in parts)
        if self.fit_intercept:
            gram[1:, 0] = gram[0, 1:]
        valid = math.isfinite(dev) and bool(np.isfinite(gram).all() and np.isfinite(rhs).all())
        return _Sweep(float(dev), gram, rhs, valid)


def _solve(H: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    return sla.cho_solve(sla.cho_factor(H, lower=True, check_finite=False), rhs,
                         check_finite=False)


def _penalized(dev: float, theta: np.ndarray, P: np.ndarray | None) -> float:
    return dev if P is None else dev + float(theta @ P @ theta)


def _accept(sweep: _Sweep, theta, theta_cur, pen_cur: float, P) -> bool:
    if not sweep.valid:
        return False
    if theta_cur is None:  # first step from the mustart: nothing to compare with yet
        return True
    # Fisher scoring need not decrease the deviance for non-canonical links; a rise beyond
    # rounding triggers halving (glm2's rule; R's glm.fit halves only on invalid steps).
    return _penalized(sweep.deviance, theta, P) <= pen_cur + 1e-10 * (abs(pen_cur) + 0.1)


def _step(prob: _Problem, theta, theta_cur, pen_cur, P, max_halving, fallback):
    """Sweep at ``theta``; halve toward the last accepted theta (or ``fallback``) until accepted."""
    sweep = prob.sweep(theta)
    for _ in range(max_halving):
        if _accept(sweep, theta, theta_cur, pen_cur, P):
            return theta, sweep
        anchor = theta_cur if theta_cur is not None else fallback
        if anchor is None:
            break
        theta = 0.5 * (theta + anchor)
        sweep = prob.sweep(theta)
    if _accept(sweep, theta, theta_cur, pen_cur, P):
        return theta, sweep
    return None, sweep


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
         check_rank: bool = True, family_update: Any = None) -> IRLSResult:
    """Fit ``theta`` by penalized IRLS (Fisher scoring) with step halving.

    X: (n, p) float array (no intercept column when ``fit_intercept``); y: (n,) response in the
    family's range (binomial with trials: proportions, with ``sample_weight`` = trials);
    family: a core ``Family`` (``mean``, ``deviance``, ``gradient_hessian``, ``starting_mu``,
    ``link.link``); sample_weight: (n,) prior weights >= 0; offset: (n,) added to eta;
    penalty: None, a scalar ridge, or P of shape (p, p) (intercept left unpenalized) or (q, q);
    start: (q,) initial theta, else R's ``mustart``; tol: R's criterion
    ``|dev - dev_old| / (|dev| + 0.1) < tol`` on the penalized deviance; n_threads: threads for
    the sweeps over X (default: all cores; used only when X has many blocks); r_last_step: stop
    as R's ``glm.fit`` does, returning the last step's coefficients with the ``gram``/``hessian``
    of the previous iterate, which saves the Gram of the final pass (see ``_light_finish``);
    False (default) ends with the information at the returned theta. check_rank=False skips the
    aliasing check, for repeated fits on an X already checked. family_update: None or a callable
    ``(mu, family) -> Family | None`` called after every accepted step (the NB dispersion by ML
    between IRLS steps): a returned family (same link) replaces the current one at the current
    eta, without a pass over X, and the iteration goes on; ``None`` means the family has settled,
    and from then on the fit is an ordinary IRLS at that family, stopped by R's rule.
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
            if start is None and X.shape[0] >= _SUBSAMPLE_MIN_ROWS:
                start = _subsample_start(X, y, family, sw, off, P, fit_intercept, threads)
            return _fit(prob, X, y, family, sw, off, P, start, names, tol, max_iter, max_halving,
                        r_last_step, check_rank, family_update)
    finally:
        prob.close()


def _subsample_start(X, y, family, sw, off, P, fit_intercept, threads):
    """Coefficients fitted on a random 1/16 of the rows: a start within a few standard errors of
    the full-data optimum, so that the full passes over X are only the final Newton steps
    (typically 3 instead of 6). Any trouble on the subsample just means no warm start."""
    n = X.shape[0]
    rows = np.sort(np.random.default_rng(0).choice(n, size=n // 16, replace=False))

    def sub(v):
        return None if v is None else v[rows]

    Ps = None if P is None else P * (len(rows) / n)  # the same penalty per observation
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = irls(X[rows], y[rows], family, sample_weight=sub(sw), offset=sub(off),
                       penalty=Ps, fit_intercept=fit_intercept, tol=1e-6, n_threads=threads,
                       r_last_step=True)
    except (ValueError, np.linalg.LinAlgError):
        return None
    return res.theta if np.isfinite(res.theta).all() else None


def _fit(prob, X, y, family, sw, off, P, start, names, tol, max_iter, max_halving, light,
         check_rank=True, update=None):
    fit_intercept = prob.fit_intercept
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
    return _iterate(prob, sweep, theta_cur, P, tol, max_iter, max_halving,
                    _fallback_theta(y, family, sw, prob.q, fit_intercept, off), light, update)


def _light_finish(prob, sweep, theta, theta_cur, H, pen_cur, P, tol):
    """R's last step for the price of a light pass, or None.

    When the Newton step's predicted deviance decrease ``d' H d`` is far below the tolerance,
    the step will very likely satisfy R's rule. Check it with a pass that computes eta, mu and
    the deviance but skips the Gram (the costly part), and stop there: the coefficients of that
    last step with the information of the previous iterate, exactly what R's ``glm.fit``
    returns. Otherwise (or if the check fails) the caller takes the ordinary step.
    """
    d = theta - theta_cur
    if not float(d @ H @ d) < tol * (abs(pen_cur) + 0.1):  # d'Hd: the predicted decrease
        return None
    lite = prob.sweep(theta, gram=False)
    pen = _penalized(lite.deviance, theta, P)
    ok = lite.valid and pen <= pen_cur + 1e-10 * (abs(pen_cur) + 0.1)
    if not (ok and abs(pen - pen_cur) / (abs(pen) + 0.1) < tol):
        return None
    return _Sweep(lite.deviance, sweep.gram, sweep.rhs, True)


def _iterate(prob, sweep, theta_cur, P, tol, max_iter, max_halving, fallback,
             light: bool = False, update=None) -> IRLSResult:
    pen_cur = sweep.deviance if theta_cur is None else _penalized(sweep.deviance, theta_cur, P)
    path: list[float] = []
    converged, message, n_iter, H = False, "", 0, None
    settled = update is None
    for n_iter in range(1, max_iter + 1):
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
        theta, new = _step(prob, theta, theta_cur, pen_cur, P, max_halving, fallback)
        if theta is None:
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


def _refamily(prob, update, sweep, theta, pen, P):
    """Ask ``update`` for the family at the current mu: (settled, sweep, penalized deviance).
    A new family keeps the sweep's Gram and rhs (so the next step is a Fisher step of the old
    family, a slightly stale one while the family still moves) with the deviance of the new."""
    fam = update(prob.mu, prob.family)
    if fam is None:
        return True, sweep, pen
    dev = prob.set_family(fam)
    new = _Sweep(dev, sweep.gram, sweep.rhs, sweep.valid and math.isfinite(dev))
    return False, new, _penalized(dev, theta, P)


def _finish(prob, sweep, theta, P, converged, message, n_iter, path, H_step) -> IRLSResult:
    if theta is None:
        raise ValueError(f"IRLS found no valid coefficients ({message}); supply `start`")
    if not converged:
        warnings.warn(f"IRLS: {message}", ConvergenceWarning, stacklevel=3)
        sweep = prob.sweep(theta)  # make eta, mu, weights and the Gram describe theta
    H = sweep.gram if P is None else sweep.gram + P
    return IRLSResult(
        theta=theta, eta=prob.eta, mu=prob.mu, weights=prob.w, gram=sweep.gram, hessian=H,
        deviance=sweep.deviance, penalized_deviance=_penalized(sweep.deviance, theta, P),
        n_iter=n_iter, n_passes=prob.n_passes, converged=converged,
        message="converged" if converged else message, deviance_path=path,
        fit_intercept=prob.fit_intercept, step_hessian=H if H_step is None else H_step)


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
