"""IRLS steps: the Cholesky solve, step acceptance with halving, quasi-Newton first steps from
an approximate information, R's light last step, and family updates between steps."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla

from reglab.solvers._irls_sweep import _Problem, _Sweep


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


def _quasi_newton(prob, theta0, H0, P, tol, max_halving, update=None, max_steps: int = 3):
    """First steps from ``theta0`` with an approximate information ``H0`` (a subsample's).

    Passes that compute only the gradient (eta, deviance, ``X~^T g``; no Gram) drive steps
    ``theta - H0^{-1}(X~^T g + P theta)``, each cutting the distance to the optimum by the
    relative error of H0 (the predicted decrease ``d' H0 d`` by ~p/n_sub, 3e-4 for 10^6 x 20);
    once ``d' H0 d`` is within 100 tol of the deviance the next Newton step will meet R's rule,
    so one ordinary Gram pass follows (with halving toward the last accepted point if the
    deviance rose); so it does when H0 contracts by less than 100x per step (a small subsample)
    or after ``max_steps``. That replaces the Gram of one or two passes over X by gradients
    (~1/3 of the cost). ``update`` (the family between steps, see :func:`irls`) is asked after
    every accepted gradient pass, as IRLS does after every step; while the family moves the
    steps go on (up to ``3 * max_steps``).
    Returns (theta, its Gram sweep, deviance path, update or None once the family settled) or
    None (invalid gradient pass, singular H0, no accepted step): the caller then starts from
    theta0 the ordinary way."""
    sweep = prob.sweep(theta0, what="grad")
    if not sweep.valid:
        return None
    theta_acc, pen_acc, path = theta0, _penalized(sweep.deviance, theta0, P), []
    prev, k, settled = math.inf, 0, update is None
    while True:
        k += 1
        try:
            d = _solve(H0, sweep.rhs if P is None else sweep.rhs + P @ theta_acc)
        except (np.linalg.LinAlgError, ValueError):
            return None
        theta, dhd = theta_acc - d, float(d @ H0 @ d)
        # near enough for Newton to finish, or H0 contracting too slowly to be worth it
        near = dhd < 100.0 * tol * (abs(pen_acc) + 0.1) or dhd > 0.01 * prev
        if (settled and (near or k >= max_steps)) or k >= 3 * max_steps:
            break
        prev = dhd
        sweep = prob.sweep(theta, what="grad")
        pen = _penalized(sweep.deviance, theta, P)
        if not (sweep.valid and pen <= pen_acc):  # H0 misled: halve from the accepted point
            theta = 0.5 * (theta + theta_acc)
            break
        theta_acc, pen_acc = theta, pen
        path.append(sweep.deviance)
        if not settled:  # the gradient stays that of the old family: one slightly stale step
            settled, sweep, pen_acc = _refamily(prob, update, sweep, theta, pen, P)
            if not sweep.valid:
                return None
            prev = prev if settled else math.inf
    theta, sweep = _step(prob, theta, theta_acc, pen_acc, P, max_halving, None)
    if theta is None:
        return None
    return theta, sweep, path + [sweep.deviance], None if settled else update


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


def _refamily(prob, update, sweep, theta, pen, P):
    """Ask ``update`` for the family at the current mu: (settled, sweep, penalized deviance).
    A new family keeps the sweep's Gram and rhs (so the next step is a Fisher step of the old
    family, a slightly stale one while the family still moves) with the deviance of the new."""
    fam, settled = update(prob.mu, prob.family), False
    if isinstance(fam, tuple):  # (family, True): switch to it, and it is the final one
        fam, settled = fam
    if fam is None:
        return True, sweep, pen
    dev = prob.set_family(fam)
    new = _Sweep(dev, sweep.gram, sweep.rhs, sweep.valid and math.isfinite(dev))
    return bool(settled), new, _penalized(dev, theta, P)
