"""Fit's per-epoch bookkeeping for :class:`~reglab.nn.training.Trainer`: the validation
hold-out split, the epoch log, the learning rate read back from the optimizer state, and the
copy of that state a diverging call gives back.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from reglab.core._xp import namespace

__all__ = ["holdout", "epoch_logs", "state_copy"]


def holdout(X: Any, y: Any, sample_weight: Any, fraction: float, rng: np.random.Generator
            ) -> tuple:
    """Split off ``fraction`` of the rows (drawn with ``rng``) as validation data."""
    n = X.shape[0]
    n_val = int(round(fraction * n))
    if not 0.0 < fraction < 1.0 or n_val < 1 or n_val >= n:
        raise ValueError(f"validation_fraction={fraction} leaves no training or no "
                         f"validation rows out of {n}")
    perm = rng.permutation(n)
    parts = []
    for rows in (np.sort(perm[n_val:]), np.sort(perm[:n_val])):
        parts.append(tuple(None if a is None else (
            a[rows] if isinstance(a, np.ndarray) else namespace(a).take(
                a, namespace(a).asarray(rows), axis=0)) for a in (X, y, sample_weight)))
    (Xt, yt, st), val = parts
    return Xt, yt, st, val if val[2] is not None else val[:2]


def epoch_logs(trainer: Any, loss: float, validation_data: tuple | None, metrics: dict | None,
               seconds: float) -> dict:
    """One epoch's log: loss, ``val_loss`` and ``val_<metric>`` on the validation data, lr, time."""
    logs: dict[str, Any] = {"epoch": trainer.epoch, "loss": loss}
    if validation_data is not None:
        Xv, yv, *rest = validation_data
        sv = rest[0] if rest else None
        eta = trainer.network.predict_eta(Xv)
        e = eta[:, 0] if trainer.network.n_out == 1 else eta
        logs["val_loss"] = float(trainer.head.loss(yv, e, sv))
        for name, fn in (metrics or {}).items():
            logs["val_" + name] = float(fn(yv, eta))
    logs["lr"] = _current_lr(trainer.opt_state)
    logs["time"] = seconds
    return logs


def _current_lr(state: Any) -> float | None:
    """The learning rate of the last update, found in a (possibly chained) optimizer state: the
    step size (schedule) times every reduce-on-plateau scale, which multiplies the updates."""
    dicts = list(_state_dicts(state))
    lr = next((d["last_lr"] for d in dicts if d.get("last_lr") is not None), None)
    if lr is None:
        return None
    for d in dicts:
        if "bad_epochs" in d:  # a reduce_on_plateau state
            lr *= d["scale"]
    return float(lr)


def _state_dicts(state: Any) -> Any:
    if isinstance(state, dict):
        yield state
    elif isinstance(state, list | tuple):
        for s in state:
            yield from _state_dicts(s)


def state_copy(state: Any) -> Any:
    """A deep copy of an optimizer state that shares its scratch buffers (the ``tmp`` leaves,
    overwritten before every use), so that snapshotting Adam copies ``m`` and ``v`` only."""
    memo: dict[int, Any] = {}
    for d in _state_dicts(state):
        for t in d.get("tmp", ()) if isinstance(d.get("tmp"), list) else ():
            memo[id(t)] = t
    return copy.deepcopy(state, memo)
