"""Checks of the trainer's inputs: each error names the shapes (or the value) that do not fit."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_learning_rate(learning_rate: Any) -> None:
    """A number must be > 0 (a negative one climbs the loss); a schedule (callable) passes."""
    if callable(learning_rate):
        return
    if not isinstance(learning_rate, int | float | np.number) or isinstance(learning_rate, bool) \
            or not learning_rate > 0:
        raise ValueError(f"learning_rate must be a number > 0 or a schedule (a function of the "
                         f"step count), got {learning_rate!r}")


def check_training_data(network: Any, head: Any, X: Any, y: Any, sample_weight: Any) -> None:
    """``X`` is ``(n, network.n_in)``; ``y`` has ``n`` rows and the shape the loss takes:
    ``(n,)`` for one output, ``(n, n_out)`` for several; categorical also takes integer labels
    ``(n,)`` in ``0..n_out-1``. Raises ValueError naming the shapes."""
    xs, ys = tuple(X.shape), tuple(y.shape)
    if len(xs) != 2:
        raise ValueError(f"X must be 2-D (n_samples, {network.n_in}), got shape {xs}")
    if xs[1] != network.n_in:
        raise ValueError(f"X has {xs[1]} columns but the network takes {network.n_in} inputs "
                         f"(X shape {xs})")
    if ys[:1] != xs[:1]:
        raise ValueError(f"X has {xs[0]} rows but y has {ys[0] if ys else 0} (X shape {xs}, "
                         f"y shape {ys})")
    if sample_weight is not None and tuple(sample_weight.shape) != xs[:1]:
        raise ValueError(f"sample_weight must have shape ({xs[0]},) like X's rows, got "
                         f"{tuple(sample_weight.shape)}")
    k = network.n_out
    outputs = f"a network with {k} output{'s' if k > 1 else ''}"
    if getattr(head, "name", "") == "categorical":
        if ys == (xs[0], k):
            return
        if len(ys) == 1:
            if isinstance(y, np.ndarray) and y.size and (y.min() < 0 or y.max() >= k):
                bad = int(np.flatnonzero((y < 0) | (y >= k))[0])
                raise ValueError(f"categorical label y[{bad}] = {y[bad].item()} is not a class of "
                                 f"{outputs} (labels 0..{k - 1})")
            return
        raise ValueError(f"categorical y must be integer labels ({xs[0]},) or one-hot "
                         f"({xs[0]}, {k}) for {outputs}, got shape {ys}")
    want = (xs[0],) if k == 1 else (xs[0], k)
    if ys != want:
        hint = " (use y.ravel())" if ys == (xs[0], 1) else ""
        raise ValueError(f"y must have shape {want} for {outputs} and the "
                         f"{getattr(head, 'name', 'given')} loss, got {ys}{hint}")
