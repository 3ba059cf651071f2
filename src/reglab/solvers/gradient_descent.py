r"""The lecture's iterative path to the least-squares line, each run recording its trajectory.

Model ``eta = b + X w`` (``X`` shape (n, p), ``w`` shape (p,), ``b`` scalar). Losses, with sample
weights ``s_i`` (default 1) normalised so that ``sum(s) = n``::

    squared_error   L = 1/(2n) sum_i s_i (eta_i - y_i)^2     dL/deta_i = s_i (eta_i - y_i) / n
    absolute_error  L = 1/n    sum_i s_i |eta_i - y_i|        dL/deta_i = s_i sign(eta_i - y_i) / n

(the lecture's ``dλ = 1/m X E^T``, written batch-first as ``X^T E / n``). Any object with the core
loss contract (``loss(y, eta, sample_weight)`` and ``gradient_hessian(y, eta, sample_weight)``, e.g.
``reglab.core.families`` or ``reglab.core.losses`` objects) may be passed instead of a name.

Solvers:

- :func:`gradient_descent`: batch updates ``theta <- theta - lr(t) grad L(theta)``.
- :func:`stochastic_gradient_descent` (``batch_size=1``) and :func:`minibatch_gradient_descent`:
  per epoch a random permutation of the rows, one update per batch with the batch's unbiased
  gradient estimate; optional Polyak-Ruppert averaging of the iterates (``average=True``).
- :func:`geometric_regression`: "pick a random point, move the line a little closer to it".
  The *square trick* moves by ``lr (y - eta) [1, x]``; the *absolute trick* by
  ``lr sign(y - eta) [1, x]``. They are single-sample stochastic gradient steps on the half squared
  and the absolute error, with points drawn with replacement.

Every solver returns a :class:`GDResult` whose :class:`Trajectory` holds the parameters and the
full-data loss at each recorded step (step 0 is the starting line), ready for plots and animations.
A run whose parameters or recorded loss stop being finite (a learning rate too large: every step
overshoots further) raises :class:`reglab.nn.DivergenceError` naming the step and the learning
rate, as ``reglab.nn`` does; no result with NaN/inf is returned.
Learning rates are floats or schedules ``lr(t)`` of the update count ``t = 0, 1, ...`` (the
``reglab.core.optimizers`` schedules fit, as does :func:`inverse_time_decay`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reglab._warn import user_stacklevel
from reglab.nn.training import DivergenceError
from reglab.solvers._gd_setup import (
    LOSS_NAMES,
    Schedule,
    _get_loss,
    _positive_int,
    _prepare,
    _schedule,
    _Squared,
    _start,
)

try:  # one warning class for the ecosystem, as in solvers.irls
    from sklearn.exceptions import ConvergenceWarning
except ImportError:  # pragma: no cover - scikit-learn is a hard dependency

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """An iterative solver stopped before meeting its convergence criterion."""


__all__ = ["gradient_descent", "stochastic_gradient_descent", "minibatch_gradient_descent",
           "geometric_regression", "GDResult", "Trajectory", "inverse_time_decay",
           "ConvergenceWarning", "DivergenceError", "LOSS_NAMES"]


def inverse_time_decay(init_value: float, decay_steps: float) -> Schedule:
    """``lr(t) = init_value / (1 + t / decay_steps)``: sum lr = inf, sum lr^2 < inf (Robbins-Monro),
    the classical condition under which SGD converges to the minimiser."""
    if not decay_steps > 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps!r}")
    return lambda t: init_value / (1.0 + t / decay_steps)


def _check_finite(method: str, t: int, epoch: float | None, lr: Schedule, theta: np.ndarray,
                  loss: float | None = None) -> None:
    """Raise DivergenceError at the first update ``t`` whose parameters (their squared norm) or
    full-data loss (when given) are not finite: the run diverged, and continuing would only
    return NaN."""
    if loss is None:
        if math.isfinite(float(theta @ theta)):  # one cheap test per update; its square
            return  # overflows about when the loss does (|theta| ~ 1e154)
        big = float(np.max(np.abs(theta)))
        what = (f"the parameters became {big}" if not math.isfinite(big)
                else f"the parameters grew to {big:.3g}")
    elif math.isfinite(loss):
        return
    else:
        what = f"the loss became {loss}"
    rate = lr(max(t - 1, 0))
    raise DivergenceError(
        f"{method} diverged at step {t}{'' if epoch is None else f' (epoch {epoch:.4g})'}: "
        f"{what} at learning rate {rate:.3g}; each step overshoots further. Try a smaller "
        f"learning rate (e.g. {rate / 10:.3g}).")


@dataclass
class Trajectory:
    """Recorded path: ``step`` (k,) update counts, ``epoch`` (k,) passes over the data (fractional
    for per-step records), ``coef`` (k, p), ``intercept`` (k,), ``loss`` (k,) on the full data."""

    feature_names: list[str]
    step: list[int] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    coef: list[np.ndarray] = field(default_factory=list)
    intercept: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)

    def record(self, step: int, epoch: float, theta: np.ndarray, loss: float) -> None:
        self.step.append(int(step))
        self.epoch.append(float(epoch))
        self.intercept.append(float(theta[0]))
        self.coef.append(np.array(theta[1:], dtype=float))
        self.loss.append(float(loss))

    def finish(self) -> Trajectory:
        """Freeze the lists into arrays (called by the solvers)."""
        p = len(self.feature_names)
        self.step = np.asarray(self.step, dtype=int)
        self.epoch = np.asarray(self.epoch, dtype=float)
        self.coef = np.asarray(self.coef, dtype=float).reshape(-1, p)
        self.intercept = np.asarray(self.intercept, dtype=float)
        self.loss = np.asarray(self.loss, dtype=float)
        return self

    def to_frame(self) -> pd.DataFrame:
        """One row per record: ``step, epoch, Intercept, <feature names>..., loss``."""
        frame = pd.DataFrame({"step": self.step, "epoch": self.epoch,
                              "Intercept": self.intercept})
        for j, name in enumerate(self.feature_names):
            frame[name] = self.coef[:, j]
        frame["loss"] = self.loss
        return frame


@dataclass
class GDResult:
    """Final ``coef`` (p,), ``intercept``, full-data ``loss``, ``n_iter`` (updates), ``n_epochs``,
    ``converged``, ``method``, ``loss_name`` and the recorded ``trajectory``."""

    coef: np.ndarray
    intercept: float
    loss: float
    n_iter: int
    n_epochs: float
    converged: bool
    method: str
    loss_name: str
    trajectory: Trajectory

    def predict(self, X) -> np.ndarray:
        """``intercept + X @ coef``, X (n, p)."""
        return self.intercept + np.asarray(X, dtype=float) @ self.coef


def gradient_descent(X, y, loss: Any = "squared_error", learning_rate: float | Schedule = 0.1,
                     max_iter: int = 1000, tol: float = 1e-10, fit_intercept: bool = True,
                     sample_weight=None, init=None, record_every: int = 1) -> GDResult:
    """Batch gradient descent ``theta_{t+1} = theta_t - lr(t) D^T dL/deta`` (D = [1, X]).

    Stops when ``max |theta_{t+1} - theta_t| <= tol * max(1, max |theta_t|)`` and warns with a
    ConvergenceWarning if ``max_iter`` updates do not get there. Records every ``record_every``
    updates (and the last one). For the squared error, ``lr < 2 / lambda_max(D^T D / n)`` is
    needed for convergence: standardise the columns.
    """
    max_iter, record_every = _positive_int(max_iter, "max_iter"), _positive_int(record_every,
                                                                              "record_every")
    D, ya, s, names = _prepare(X, y, sample_weight, fit_intercept)
    L, lr = _get_loss(loss), _schedule(learning_rate)
    theta = _start(init, D.shape[1] - 1, None, fit_intercept)
    n = len(ya)
    traj = Trajectory(names)
    eta = D @ theta
    traj.record(0, 0.0, theta, L.loss(ya, eta, s))
    converged, t = False, 0
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught and named below
        while t < max_iter:
            step = lr(t) * (D.T @ L.grad(ya, eta, s)) / n
            theta = theta - step
            t += 1
            _check_finite("gradient descent", t, None, lr, theta)
            eta = D @ theta
            converged = (float(np.max(np.abs(step)))
                         <= tol * max(1.0, float(np.max(np.abs(theta)))))
            if t % record_every == 0 or converged or t == max_iter:
                traj.record(t, float(t), theta, L.loss(ya, eta, s))
                _check_finite("gradient descent", t, None, lr, theta, traj.loss[-1])
            if converged:
                break
    if not converged:
        _warn_unconverged(traj.loss, max_iter, float(np.max(np.abs(step))), tol, L, D, s, n)
    return GDResult(theta[1:].copy(), float(theta[0]), traj.loss[-1], t, float(t), converged,
                    "batch", L.name, traj.finish())


def _warn_unconverged(losses, max_iter, last_step, tol, L, D, s, n) -> None:
    """ConvergenceWarning: either the run diverged (the loss ended above where it started: a
    learning rate too large, more iterations would not help) or it is merely slow."""
    if losses[-1] > losses[0]:
        bound = ""
        if isinstance(L, _Squared):  # the stability limit of GD on a quadratic
            lam = float(np.linalg.eigvalsh(D.T @ (D * s[:, None]) / n)[-1])
            bound = f" (for the squared error it must be below 2 / lambda_max = {2 / lam:.3g})"
        msg = (f"gradient descent diverged: the loss grew from {losses[0]:.4g} to "
               f"{losses[-1]:.4g} in {max_iter} iterations; lower the learning rate{bound}")
    else:
        msg = (f"gradient descent did not converge in {max_iter} iterations (last step "
               f"{last_step:.3g} > tol={tol:g}); raise max_iter or the learning rate, or "
               "standardise X")
    warnings.warn(msg, ConvergenceWarning, stacklevel=user_stacklevel())


@np.errstate(over="ignore", invalid="ignore")  # divergence is caught and named by _check_finite
def _stochastic(D, ya, s, L, lr: Schedule, theta, batches, rng, n_epochs: int, average: int | None,
                record: str, record_every: int, names, method: str) -> GDResult:
    """Shared loop: ``batches(rng)`` yields the row-index arrays of one epoch. ``average``: None,
    or the update count after which iterates are averaged (Polyak-Ruppert)."""
    n = len(ya)
    traj = Trajectory(names)
    traj.record(0, 0.0, theta, L.loss(ya, D @ theta, s))
    avg, t, seen = theta.copy(), 0, 0
    start = -1 if average is None else int(average)
    for epoch in range(1, n_epochs + 1):
        for rows in batches(rng):
            Db = D[rows]
            g = Db.T @ L.grad(ya[rows], Db @ theta, s[rows]) / len(rows)
            theta = theta - lr(t) * g
            t, seen = t + 1, seen + len(rows)
            _check_finite(method, t, seen / n, lr, theta)
            if average is not None:  # mean of theta_start .. theta_t (skips the start's bias)
                avg = theta.copy() if t <= start else avg + (theta - avg) / (t - start + 1)
            if record == "step" and t % record_every == 0:
                cur = avg if average is not None else theta
                traj.record(t, seen / n, cur, L.loss(ya, D @ cur, s))
                _check_finite(method, t, seen / n, lr, theta, traj.loss[-1])
        if record == "epoch" and (epoch % record_every == 0 or epoch == n_epochs):
            cur = avg if average is not None else theta
            traj.record(t, float(epoch), cur, L.loss(ya, D @ cur, s))
            _check_finite(method, t, float(epoch), lr, theta, traj.loss[-1])
    if traj.step[-1] != t:  # always end the path at the returned parameters
        cur = avg if average is not None else theta
        traj.record(t, seen / n, cur, L.loss(ya, D @ cur, s))
        _check_finite(method, t, seen / n, lr, theta, traj.loss[-1])
    final = avg if average is not None else theta
    settled = _settled(traj.loss, method, t, lr)
    return GDResult(final[1:].copy(), float(final[0]), L.loss(ya, D @ final, s), t,
                    float(n_epochs), settled, method, L.name, traj.finish())


BLOWUP = 100.0  # a stochastic run ending with BLOWUP x its lowest recorded loss has blown up


def _settled(losses, method: str, t: int, lr: Schedule) -> bool:
    """False, with a ConvergenceWarning, when a stochastic run ended with a full-data loss over
    ``BLOWUP`` times the lowest it recorded: the steps overshoot and grow while staying finite (a
    larger learning rate reaches inf and raises DivergenceError). Hovering around the minimiser
    stays far below that factor (at most 5.5x over 20 seeds of 50 SGD epochs started at the
    least-squares line of builtin:line, lr 0.02)."""
    low = float(np.min(losses))
    if not losses[-1] > BLOWUP * low:
        return True
    rate = lr(max(t - 1, 0))
    warnings.warn(f"{method} blew up: the loss grew from {low:.4g} to {losses[-1]:.4g} in "
                  f"{t} steps at learning rate {rate:.3g}; each step overshoots further. Try a "
                  f"smaller learning rate (e.g. {rate / 10:.3g}).", ConvergenceWarning,
                  stacklevel=user_stacklevel())
    return False


def stochastic_gradient_descent(X, y, loss: Any = "squared_error",
                                learning_rate: float | Schedule = 0.01, batch_size: int = 1,
                                n_epochs: int = 50, shuffle: bool = True, random_state=None,
                                average: bool | int = False, fit_intercept: bool = True,
                                sample_weight=None, init=None, record: str = "epoch",
                                record_every: int = 1) -> GDResult:
    """Stochastic (``batch_size=1``) or mini-batch gradient descent over ``n_epochs`` epochs.

    Each epoch visits every row once (a fresh random permutation when ``shuffle``), one update per
    batch: ``theta <- theta - lr(t) D_B^T dL/deta_B * n / |B|`` (the batch estimate of the full
    gradient). With a constant learning rate the iterates hover around the minimiser; use a
    decaying schedule (:func:`inverse_time_decay`) or averaging to converge: ``average=True``
    returns (and records) the mean of the iterates after the first epoch, ``average=k`` after
    ``k`` updates.
    ``record="epoch"`` records after every ``record_every`` epochs, ``"step"`` after every
    ``record_every`` updates. ``converged`` is True unless the run blew up: the run length is
    fixed by ``n_epochs`` (True does not mean the iterates settled). A run whose loss ends over
    ``BLOWUP`` (100) times the lowest it recorded warns ConvergenceWarning with
    ``converged=False``; one that reaches inf or NaN raises DivergenceError.
    """
    if record not in ("epoch", "step"):
        raise ValueError(f"record must be 'epoch' or 'step', got {record!r}")
    batch_size, n_epochs = _positive_int(batch_size, "batch_size"), _positive_int(n_epochs,
                                                                                  "n_epochs")
    record_every = _positive_int(record_every, "record_every")
    D, ya, s, names = _prepare(X, y, sample_weight, fit_intercept)
    rng = np.random.default_rng(random_state)
    theta = _start(init, D.shape[1] - 1, rng, fit_intercept)
    n, bs = len(ya), int(batch_size)

    def batches(r):
        order = r.permutation(n) if shuffle else np.arange(n)
        return (order[i:i + bs] for i in range(0, n, bs))

    method = "sgd" if bs == 1 else f"minibatch({bs})"
    start = None if average is False else (-(-n // bs) if average is True else int(average))
    return _stochastic(D, ya, s, _get_loss(loss), _schedule(learning_rate), theta, batches, rng,
                       int(n_epochs), start, record, record_every, names, method)


def minibatch_gradient_descent(X, y, loss: Any = "squared_error", batch_size: int = 32,
                               **kwargs: Any) -> GDResult:
    """:func:`stochastic_gradient_descent` with ``batch_size=32`` by default."""
    return stochastic_gradient_descent(X, y, loss=loss, batch_size=batch_size, **kwargs)


def geometric_regression(X, y, trick: str = "square", learning_rate: float | Schedule = 0.01,
                         n_steps: int = 1000, random_state=None, init="random",
                         fit_intercept: bool = True, record_every: int = 1) -> GDResult:
    """The lecture's geometric algorithm: start from a random line; ``n_steps`` times pick a random
    point (with replacement) and move the line a little closer to it.

    ``trick="square"``:   ``b += lr (y - eta)``,       ``w += lr (y - eta) x``
    ``trick="absolute"``: ``b += lr sign(y - eta)``, ``w += lr sign(y - eta) x``

    (``eta = b + w.x`` at the picked point; with one feature, ``w`` is the slope: rotating and
    translating the line toward the point). The trajectory records the line and the full-data
    loss (half mean squared error, or mean absolute error) every ``record_every`` steps.
    """
    losses = {"square": "squared_error", "absolute": "absolute_error"}
    if trick not in losses:
        raise ValueError(f"trick must be 'square' or 'absolute', got {trick!r}")
    n_steps = _positive_int(n_steps, "n_steps")
    record_every = _positive_int(record_every, "record_every")
    D, ya, s, names = _prepare(X, y, None, fit_intercept)
    rng = np.random.default_rng(random_state)
    theta = _start(init, D.shape[1] - 1, rng, fit_intercept)

    def batches(r):  # one "epoch" = all the steps, one random point each (drawn up front)
        picks = r.integers(0, len(ya), size=(n_steps, 1))
        return iter(picks)

    res = _stochastic(D, ya, s, _get_loss(losses[trick]), _schedule(learning_rate), theta,
                      batches, rng, 1, None, "step", record_every, names, f"{trick} trick")
    res.n_epochs = n_steps / len(ya)
    res.trajectory.epoch = res.trajectory.step / len(ya)
    return res
