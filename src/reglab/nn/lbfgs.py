"""Full-batch L-BFGS (SciPy's L-BFGS-B) on a network's training objective, for small data.

The flat parameter vector ``theta`` (weights, then biases) is optimised in float64 by SciPy; each
function evaluation sets ``theta`` into the network (in its own dtype), runs one full-batch
forward/backward in evaluation mode (dropout off: the objective must be deterministic for a
line search) and returns ``(L(theta), dL/dtheta)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import minimize

from reglab.nn.training import DivergenceError, Trainer

__all__ = ["fit_lbfgs"]


def fit_lbfgs(trainer: Trainer, X: Any, y: Any, sample_weight: Any = None, max_iter: int = 200,
              tol: float = 1e-4, max_fun: int = 15000) -> dict:
    """Minimise the trainer's objective over all parameters; appends one history entry per
    iteration and returns SciPy's result summary (``n_iter``, ``converged``, ``message``)."""
    net = trainer.network
    start = net.get_flat()

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        net.set_flat(theta)
        loss = trainer.loss_and_gradient(X, y, sample_weight, training=False)
        if not math.isfinite(loss):
            # L-BFGS-B treats a huge value as a failed trial step and backtracks
            return 1e300, np.zeros_like(theta)
        return loss, net.get_flat_grad()

    def record(intermediate_result: Any) -> None:
        trainer.epoch += 1
        trainer.history.append({"epoch": trainer.epoch, "loss": float(intermediate_result.fun)})

    result = minimize(fun, start, jac=True, method="L-BFGS-B", callback=record,
                      options={"maxiter": int(max_iter), "maxfun": int(max_fun), "gtol": tol})
    if not np.all(np.isfinite(result.x)) or not math.isfinite(result.fun):
        net.set_flat(start)
        raise DivergenceError(f"L-BFGS diverged at iteration {result.nit}; weights restored")
    net.set_flat(result.x)
    return {"n_iter": int(result.nit), "converged": bool(result.success),
            "message": str(result.message), "loss": float(result.fun)}
