"""Gradient check: backpropagation against central finite differences.

For each checked coordinate ``theta_j`` of the flat parameter vector (weights, then biases)::

    numeric_j = (L(theta + h e_j) - L(theta - h e_j)) / (2 h)        (error O(h^2))

and the summary is the relative error ``||analytic - numeric|| / (||analytic|| + ||numeric||)``,
which is ~1e-9 in float64 for a correct backward pass and ~1e-2 or worse for a wrong one. The
check runs on a float64 copy of the network in evaluation mode (dropout off), so it is
deterministic and not limited by float32 rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reglab.core._xp import to_numpy
from reglab.nn.network import Sequential
from reglab.nn.training import Trainer

__all__ = ["check_gradients"]


def _float64_copy(network: Sequential) -> Sequential:
    data = network.to_dict()
    data["dtype"] = "float64"
    return Sequential.from_dict(data)


def check_gradients(network: Sequential, X: Any, y: Any, loss: Any = "gaussian",
                    sample_weight: Any = None, alpha: float = 0.0, eps: float = 1e-6,
                    max_checks: int | None = None, random_state: int | None = 0) -> dict:
    """Compare backprop gradients of the training objective with central differences.

    Parameters
    ----------
    network : Sequential (left untouched; a float64 copy is checked)
    X : (n_samples, n_in); y : (n_samples,) or one-hot (n_samples, K) for categorical
    loss : family / robust-loss name or object, as for :class:`Trainer`
    alpha : L2 penalty included in the objective
    eps : finite-difference step ``h``
    max_checks : check at most this many randomly chosen coordinates (all when None)

    Returns
    -------
    dict with ``relative_error`` (float), ``max_abs_error`` (float), ``analytic`` and
    ``numeric`` (float64 arrays over the checked coordinates) and ``index`` (their positions).
    """
    net = _float64_copy(network)
    X = np.asarray(to_numpy(X), dtype=np.float64)
    y = np.asarray(to_numpy(y), dtype=np.float64)
    sw = None if sample_weight is None else np.asarray(to_numpy(sample_weight), dtype=np.float64)
    trainer = Trainer(net, loss=loss, optimizer="sgd", alpha=alpha)
    theta = net.get_flat()
    trainer.loss_and_gradient(X, y, sw, training=False)
    analytic_all = net.get_flat_grad()
    index = np.arange(theta.size)
    if max_checks is not None and max_checks < theta.size:
        index = np.sort(np.random.default_rng(random_state).choice(theta.size, max_checks,
                                                                   replace=False))

    def objective(t: np.ndarray) -> float:
        net.set_flat(t)
        eta = net.forward(X)
        e = eta[:, 0] if net.n_out == 1 else eta
        return float(trainer.head.loss(y, e, sw)) + net.penalty(alpha)

    numeric = np.empty(index.size)
    for k, j in enumerate(index):
        step = np.zeros_like(theta)
        step[j] = eps
        numeric[k] = (objective(theta + step) - objective(theta - step)) / (2.0 * eps)
    net.set_flat(theta)
    analytic = analytic_all[index]
    denom = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    # a NaN objective must not read as a pass: nan propagates into the relative error
    rel = float(np.linalg.norm(analytic - numeric) / denom) if denom != 0 else 0.0
    return {"relative_error": rel, "max_abs_error": float(np.max(np.abs(analytic - numeric))),
            "analytic": analytic, "numeric": numeric, "index": index}
