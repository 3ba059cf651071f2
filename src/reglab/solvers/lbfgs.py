r"""Gradient-based solvers on the GLM objective: L-BFGS, batch gradient descent, (mini-batch) SGD,
and Newton's method for the multinomial (softmax) model.

The objective, for coefficients ``Theta`` of shape (q, m) (``m = 1`` for one linear predictor;
for a categorical family ``m = K - 1`` with the first class as baseline, whose column of ``eta`` is
0, or ``m = K`` in the symmetric parameterisation, ``baseline=False``, which a ridge penalty needs
to be invariant to relabelling the classes), prior weights ``w`` and a penalty ``P`` (q, q) shared
by every output column:

.. math::

    f(\Theta) = \frac{1}{\sum_i w_i}\Big[\sum_i w_i\, \tfrac12 d(y_i, \mu_i)
        + \tfrac12 \operatorname{tr}(\Theta^\top P\, \Theta)\Big],
    \qquad \nabla f = \frac{\tilde X^\top G + P\Theta}{\sum_i w_i},

with ``G = family.gradient_hessian(y, eta, w)[0]`` (n, m) the derivative of the weighted half
deviance with respect to eta (``mu - y`` for canonical links; ``softmax(eta) - Y`` for the
categorical). With ``P = alpha * sum(w) * I`` (intercept row zero) this is scikit-learn's
``mean loss + alpha/2 ||beta||^2``, the objective :func:`reglab.solvers.irls.irls` minimises too.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize

from reglab._warn import user_stacklevel
from reglab.solvers.irls import ConvergenceWarning

__all__ = ["GLMObjective", "SolverResult", "lbfgs", "gradient_descent_glm", "sgd_glm",
           "multinomial_newton", "multinomial_information", "solve_first_order"]


class GLMObjective:
    """``f`` and ``grad f`` above. X: (n, p); y: (n,) (categorical: integer labels 0..K-1);
    ``n_outputs`` = m; ``penalty`` (q, q) or None; the intercept is ``Theta[0]`` when
    ``fit_intercept``. ``theta`` is passed flat, shape (q * m,). ``baseline`` (categorical only):
    eta's column 0 is fixed at 0 and ``m = K - 1``; False: all ``m = K`` columns are free."""

    def __init__(self, X, y, family, sample_weight=None, penalty=None, fit_intercept=True,
                 n_outputs: int = 1, baseline: bool = True):
        self.X, self.y, self.family = X, y, family
        self.sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        self.total = float(self.sw.sum())
        self.fit_intercept, self.m = fit_intercept, n_outputs
        self.q = X.shape[1] + int(fit_intercept)
        self.P = penalty
        self.baseline = baseline and family.name == "categorical"

    def eta(self, Theta: np.ndarray, rows=None) -> np.ndarray:
        X = self.X if rows is None else self.X[rows]
        k = int(self.fit_intercept)
        E = X @ Theta[k:] + (Theta[0] if k else 0.0)
        if self.baseline:  # baseline class: eta_0 = 0
            return np.column_stack([np.zeros(E.shape[0]), E])
        return E if self.family.name == "categorical" else E[:, 0]

    def value_and_grad(self, theta: np.ndarray, rows=None) -> tuple[float, np.ndarray]:
        Theta = theta.reshape(self.q, self.m)
        y = self.y if rows is None else self.y[rows]
        sw = self.sw if rows is None else self.sw[rows]
        X = self.X if rows is None else self.X[rows]
        eta = self.eta(Theta, rows)
        scale = self.total if rows is None else float(sw.sum())
        f = float(self.family.loss(y, eta, sample_weight=sw)) * float(sw.sum())
        g = np.asarray(self.family.gradient_hessian(y, eta, sample_weight=sw)[0])
        G = (g[:, 1:] if self.baseline else g) if g.ndim == 2 else g[:, None]
        grad = np.vstack([G.sum(axis=0)[None, :], X.T @ G]) if self.fit_intercept else X.T @ G
        if self.P is not None:
            # the penalty is shared out per row in proportion to the batch's weight
            frac = float(sw.sum()) / self.total
            PT = self.P @ Theta
            f += 0.5 * frac * float(np.sum(Theta * PT))
            grad = grad + frac * PT
        return f / scale, grad.ravel() / scale


@dataclass
class SolverResult:
    """``theta`` (q * m,), final objective ``loss``, ``n_iter``, ``converged``, ``message`` and
    ``loss_curve`` (objective per iteration or epoch; per evaluation for L-BFGS)."""

    theta: np.ndarray
    loss: float
    n_iter: int
    converged: bool
    message: str
    loss_curve: list[float] = field(default_factory=list)


def lbfgs(obj: GLMObjective, theta0: np.ndarray, tol: float = 1e-10,
          max_iter: int = 1000) -> SolverResult:
    """Minimise with SciPy's L-BFGS-B; converged when the projected gradient is below ``tol``."""
    curve: list[float] = []

    def fun(theta):
        f, g = obj.value_and_grad(theta)
        curve.append(f)  # every evaluation, line-search trials included
        return f, g

    res = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                   options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15})
    if not res.success:
        warnings.warn(f"L-BFGS did not converge in {res.nit} iterations: {res.message}",
                      ConvergenceWarning, stacklevel=user_stacklevel())
    return SolverResult(res.x, float(res.fun), int(res.nit), bool(res.success), str(res.message),
                        curve)


def gradient_descent_glm(obj: GLMObjective, theta0: np.ndarray, learning_rate: float = 0.1,
                         tol: float = 1e-8, max_iter: int = 10000) -> SolverResult:
    """The lecture's vectorised gradient descent ``theta <- theta - lr * grad f(theta)``.

    Stops when ``max |grad f| < tol``; warns (ConvergenceWarning) after ``max_iter`` steps.
    """
    from reglab.nn.training import DivergenceError

    theta, curve = theta0.copy(), []
    for it in range(1, max_iter + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            f, g = obj.value_and_grad(theta)
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            raise DivergenceError(f"gradient descent diverged at step {it}: the loss became "
                                  f"{f}; lower the learning rate (now {learning_rate:g}), e.g. "
                                  f"to {learning_rate / 10:g}, or standardise X")
        curve.append(f)
        gmax = float(np.max(np.abs(g)))
        if gmax < tol:
            return SolverResult(theta, f, it - 1, True, "gradient below tol", curve)
        theta = theta - learning_rate * g
    msg = f"gradient descent stopped after {max_iter} steps with max|grad| = {gmax:.3g} > {tol:g}"
    if curve[-1] > curve[0]:
        advice = f"; the loss grew from {curve[0]:.6g} to {curve[-1]:.6g}: lower the learning rate"
    else:
        advice = "; raise max_iter or learning_rate, or standardise X"
    warnings.warn(msg + advice, ConvergenceWarning, stacklevel=user_stacklevel())
    return SolverResult(theta, obj.value_and_grad(theta)[0], max_iter, False, msg, curve)


def sgd_glm(obj: GLMObjective, theta0: np.ndarray, learning_rate: float = 0.1,
            batch_size: int = 32, n_epochs: int = 100, tol: float = 1e-6,
            random_state: Any = None) -> SolverResult:
    """Mini-batch SGD with step ``lr / sqrt(1 + epoch)``; per epoch a fresh permutation of rows.

    The loss curve holds the full objective after each epoch; stops early when an epoch changes
    it by less than ``tol`` (relative), else warns (ConvergenceWarning) after ``n_epochs``. SGD
    hovers around the optimum: use it for teaching and for data too large for Newton, not for
    inference-grade coefficients.
    """
    rng = np.random.default_rng(random_state)
    n = obj.X.shape[0]
    theta, curve = theta0.copy(), [obj.value_and_grad(theta0)[0]]
    for epoch in range(1, n_epochs + 1):
        lr = learning_rate / np.sqrt(epoch)
        order = rng.permutation(n)
        for a in range(0, n, batch_size):
            theta = theta - lr * obj.value_and_grad(theta, order[a:a + batch_size])[1]
        curve.append(obj.value_and_grad(theta)[0])
        if abs(curve[-2] - curve[-1]) <= tol * (abs(curve[-1]) + 1e-12):
            return SolverResult(theta, curve[-1], epoch, True, "loss settled", curve)
    change = abs(curve[-2] - curve[-1]) / (abs(curve[-1]) + 1e-12)
    msg = (f"SGD did not settle in {n_epochs} epochs: the last epoch changed the objective by "
           f"{change:.3g} (relative) > tol={tol:g}")
    warnings.warn(msg + "; the coefficients are not the optimum: raise max_iter (epochs), or use "
                  "solver='irls' or 'lbfgs'", ConvergenceWarning, stacklevel=user_stacklevel())
    return SolverResult(theta, curve[-1], n_epochs, False, msg, curve)


def multinomial_information(obj: GLMObjective, Theta: np.ndarray) -> np.ndarray:
    """Fisher information of the softmax model, (q m, q m), plus the penalty.

    Block (k, l) = ``X~^T diag(w p_k (delta_kl - p_l)) X~`` over the non-baseline classes (all K
    classes when ``obj.baseline`` is False: then singular along a common shift of all columns).
    """
    eta = obj.eta(Theta)
    e = np.exp(eta - eta.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p = p[:, 1:] if obj.baseline else p
    Xt = np.column_stack([np.ones(obj.X.shape[0]), obj.X]) if obj.fit_intercept else obj.X
    q, m = obj.q, obj.m
    H = np.empty((q * m, q * m))
    for k in range(m):
        for l in range(k, m):
            wkl = obj.sw * p[:, k] * ((k == l) - p[:, l])
            B = Xt.T @ (Xt * wkl[:, None])
            H[k::m, l::m] = B  # theta is (q, m) row-major: entry (j, k) sits at j * m + k
            H[l::m, k::m] = B.T
    if obj.P is not None:
        H += np.kron(obj.P, np.eye(m))
    return H


def multinomial_newton(obj: GLMObjective, theta0: np.ndarray, tol: float = 1e-10,
                       max_iter: int = 100) -> tuple[SolverResult, np.ndarray]:
    """Newton's method (Fisher scoring = Newton for the canonical softmax link) with step halving.

    Returns the result and the (q m, q m) information at the solution (for standard errors).
    Converged when the relative change of the objective is below ``tol``.

    In the symmetric parameterisation (``obj.baseline`` False, all K columns) the objective does
    not change when every intercept moves by the same amount, so the information is singular
    along ``u`` (1/sqrt(K) on the intercepts). The gradient is orthogonal to ``u``; solving with
    ``H + u u^T`` gives the Newton step within the intercepts-sum-to-zero subspace.
    """
    theta, curve = theta0.copy(), []
    f, g = obj.value_and_grad(theta)
    H = multinomial_information(obj, theta.reshape(obj.q, obj.m))
    shift = np.zeros((obj.q * obj.m, obj.q * obj.m))
    if not obj.baseline and obj.fit_intercept:
        shift[:obj.m, :obj.m] = 1.0 / obj.m  # u u^T; theta row-major: intercepts are 0..m-1
    for it in range(1, max_iter + 1):
        try:
            step = sla.cho_solve(sla.cho_factor(H + shift), g * obj.total)
        except np.linalg.LinAlgError:  # separated classes: the information is singular
            step = np.linalg.lstsq(H + shift, g * obj.total, rcond=None)[0]
        t = 1.0
        for _ in range(40):
            f_new, g_new = obj.value_and_grad(theta - t * step)
            if np.isfinite(f_new) and f_new <= f + 1e-12 * abs(f):
                break
            t /= 2
        theta = theta - t * step
        change = abs(f - f_new) / (abs(f_new) + 1e-10)
        f, g = f_new, g_new
        curve.append(f)
        H = multinomial_information(obj, theta.reshape(obj.q, obj.m))
        if change < tol:
            return SolverResult(theta, f, it, True, "converged", curve), H
    warnings.warn(f"multinomial Newton did not converge in {max_iter} iterations",
                  ConvergenceWarning, stacklevel=user_stacklevel())
    return SolverResult(theta, f, max_iter, False, "max_iter reached", curve), H


def _standardizer(X: np.ndarray, fit_intercept: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(Z, T)``: columns of X centred (with an intercept) and scaled to unit sd, and the (q, q)
    map ``theta = T theta_z`` back to the original coefficients (intercept first)."""
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    Z = (X - mean) / sd
    k = int(fit_intercept)
    T = np.zeros((X.shape[1] + k, X.shape[1] + k))
    T[k:, k:] = np.diag(1.0 / sd)
    if k:
        T[0, 0] = 1.0
        T[0, 1:] = -mean / sd
    return Z, T


def solve_first_order(solver: str, X, y, family, sample_weight=None, penalty=None,
                      fit_intercept: bool = True, n_outputs: int = 1,
                      options: dict | None = None, baseline: bool = True) -> SolverResult:
    """Run ``"lbfgs"``, ``"gd"`` or ``"sgd"`` on standardised columns and map the result back.

    Standardising (``z = (x - mean) / sd``) is a change of coordinates, so the optimum is the same;
    the penalty is carried over exactly as ``T^T P T``. It makes the first-order methods converge
    in tens of iterations where raw columns (ages, incomes) need thousands.
    ``options``: ``tol``, ``max_iter``, ``learning_rate``, ``batch_size``, ``random_state``;
    ``baseline``: as :class:`GLMObjective`'s.
    """
    opt = dict(options or {})
    Z, T = _standardizer(X, fit_intercept)
    P = None if penalty is None else T.T @ penalty @ T
    obj = GLMObjective(Z, y, family, sample_weight, P, fit_intercept, n_outputs, baseline)
    theta0 = np.zeros(obj.q * n_outputs)
    if solver == "lbfgs":
        out = lbfgs(obj, theta0, tol=opt.get("tol", 1e-10), max_iter=opt.get("max_iter", 1000))
    elif solver == "gd":
        out = gradient_descent_glm(obj, theta0, opt.get("learning_rate", 0.1),
                                   tol=opt.get("tol", 1e-8), max_iter=opt.get("max_iter", 10000))
    elif solver == "sgd":
        out = sgd_glm(obj, theta0, opt.get("learning_rate", 0.1), opt.get("batch_size", 32),
                      n_epochs=opt.get("max_iter", 100), random_state=opt.get("random_state"))
    else:
        raise ValueError(f"unknown first-order solver {solver!r}")
    out.theta = (T @ out.theta.reshape(obj.q, n_outputs)).ravel()
    return out
