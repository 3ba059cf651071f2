"""Whole training epochs in one compiled call, for the common network (the fused route).

A training step through the layers is ~140 Python calls (layers, kernels, the optimizer, the
batch gather): ~0.4 ms of a ~4 ms step of the large MLP benchmark. When a
:class:`~reglab.nn.training.Trainer` trains

- a NumPy float32/float64 :class:`~reglab.nn.network.Sequential` of ``Dense -> ReLU`` (or
  ``Dense -> identity``) pairs and a linear output ``Dense``, no dropout,
- on a canonical-link head (gaussian/identity, binomial/logit, poisson/log,
  categorical/softmax: the heads of :mod:`reglab.nn._fastgrad`),
- with the named Adam (``optimizer="adam"``; not a transform built by the caller) and no
  penalty other than ``alpha`` (no L1, clipping, weight decay or reduce-on-plateau; any
  step-size schedule),
- without sample weights or per-batch callbacks, ``X`` C-contiguous in the network's dtype,

in a long run (:func:`reglab.core._jit.long_run`: ``Trainer.fit`` over enough epochs x rows x
parameters, which also loads the compiled kernels) or with ``REGLAB_JIT=1``,
``train_batches`` runs its steps in :func:`reglab.nn._fused_kernels.train_steps`: the same
formulas on the same parameter vector and optimizer state, up to :func:`max_steps` steps per
call. Results agree with the layer route to rounding (``tests/nn/test_fused.py``); which route
a run takes depends on that run alone (never on kernels an earlier run happened to load), so a
script gives the same numbers in every process. The route may change between calls (a short
``partial_fit`` on the layer route, a long ``fit`` on this one). Planning it joins a named
Adam's state, when it is cut in chunks (a trainer built before the kernels were loaded), into
one leaf: Adam is elementwise, so the numbers are the same.

Why ReLU only: numba compiles ``tanh`` and ``exp`` to scalar C-library calls (no SIMD without
Intel's SVML, which the llvmlite wheels do not carry), ~25x slower than NumPy's loops: a
``(64, 64)`` tanh network trained twice as slowly on this route. The heads' ``exp`` over the
``n_out`` outputs is small beside the products.

The head's compiled gradient is compared with the family's ``gradient_hessian`` once, when
the route is planned (as the layer route compares its NumPy kernel on each call's first
batch); on any disagreement the trainer keeps the layer route.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reglab.core import _jit
from reglab.nn.layers import Activation, Dense

__all__ = ["route", "steps", "plan", "usable", "targets", "max_steps", "run", "CALL_WORK"]

# the head's inverse link, by link name, as the kernel's `head` argument (the kernels module
# reads these constants too)
HEAD_IDENTITY, HEAD_LOGIT, HEAD_LOG, HEAD_SOFTMAX = 0, 1, 2, 3
_HEADS = {"identity": HEAD_IDENTITY, "logit": HEAD_LOGIT, "log": HEAD_LOG,
          "multinomial_logit": HEAD_SOFTMAX}
CALL_WORK = 2e10  # batch rows x parameters x steps per compiled call (~1 s of training)


def usable(trainer: Any, X: Any, y: Any, sample_weight: Any) -> bool:
    """True when this call's data suit the fused route (see the module docstring)."""
    net = trainer.network
    return (trainer._fast is not None and sample_weight is None and type(X) is np.ndarray
            and X.dtype == net.dtype and X.flags.c_contiguous and X.ndim == 2
            and type(y) is np.ndarray and X.shape[0] > 0)


def route(trainer: Any, X: Any, y: Any, sample_weight: Any) -> tuple | None:
    """``(plan, targets)`` of the fused route for this ``train_batches`` call, or None (the
    layer route): a named optimizer, a long run (``trainer._long_run``, set by ``fit``) or
    ``REGLAB_JIT=1``, and data the route takes. The plan is kept on the trainer and made again
    whenever the kernels were loaded or dropped."""
    if not (trainer._long_run or _jit.mode() == "on") or not trainer._named_optimizer \
            or not usable(trainer, X, y, sample_weight):
        return None
    key = _jit.kernels()
    if trainer.__dict__.get("_fused_key", False) is not key:
        trainer._fused_plan, trainer._fused_key = plan(trainer, y), key
    if trainer._fused_plan is None:
        return None
    return trainer._fused_plan, targets(trainer, y)


def steps(trainer: Any, fused: tuple, X: np.ndarray, n_batches: int | None, done: int,
          visited: list, etas: list) -> tuple[int, float, bool]:
    """Up to the end of the epoch (at most ``n_batches - done`` steps, and at most
    :func:`max_steps` in this call) on the fused route, the visited rows and their ``eta``
    appended to ``visited`` and ``etas``; returns the steps made, their penalty sum and
    whether the epoch ended."""
    n = X.shape[0]
    trainer._start_epoch(n)
    order = trainer._order if trainer._order is not None else np.arange(n)
    start = trainer._cursor
    k = min(-(-(n - start) // trainer.batch_size), max_steps(trainer))
    if n_batches is not None:
        k = min(k, n_batches - done)
    # the trainer's place moves first: an interrupt (Ctrl-C) is raised only once the compiled
    # call has returned, and then the place must match the weights
    trainer._cursor = stop = min(start + k * trainer.batch_size, n)
    if stop >= n:
        trainer.epoch += 1
    visited.append(order[start:stop])
    eta, pen = run(trainer, fused[0], X, fused[1], order, start, k)
    etas.append(eta)
    return k, pen, stop >= n


def plan(trainer: Any, y: np.ndarray) -> dict | None:
    """The fused route's fixed inputs for ``trainer`` (layer sizes, activations, head), or
    None when its network, head or optimizer is not one it covers."""
    net, opt = trainer.network, trainer.optimizer
    if not net.is_numpy or net.dtype not in _jit.JIT_DTYPES or _jit.kernels() is None \
            or opt.steps is None or not _tiles(trainer._params, net.parameters(flat=True)[0]):
        return None
    relu = _hidden_relu(net.layers)
    head = _HEADS.get(getattr(getattr(trainer.head, "link", None), "name", None))
    state = trainer.opt_state[0] if isinstance(trainer.opt_state, list) else None
    if relu is None or head is None or not isinstance(state, dict) or "m" not in state:
        return None
    from reglab.nn import _fused_kernels as kernels  # imports numba: only once it is loaded

    sizes = [net.dense[0].n_in] + [d.n_out for d in net.dense]
    fused = {"kernels": kernels, "sizes": np.array(sizes, np.int64),
             "relu": np.array(relu + [False]), "head": head, "batch": -1}
    if not _head_agrees(trainer, fused, y):
        return None
    if len(trainer._params) > 1:
        # leaves cut in chunks (the trainer was built before the kernels were loaded): Adam is
        # elementwise, so its state over the chunks, joined, is its state over the whole vector
        trainer._params, trainer._grads = net.parameters(flat=True), net.gradients(flat=True)
        for key in ("m", "v", "tmp"):
            state[key] = [np.concatenate(state[key])]
    return fused


def _tiles(leaves: list, theta: np.ndarray) -> bool:
    """True when ``leaves`` are consecutive views covering ``theta``, in order."""
    at = theta.__array_interface__["data"][0]
    for leaf in leaves:
        if type(leaf) is not np.ndarray or leaf.__array_interface__["data"][0] != at:
            return False
        at += leaf.nbytes
    return at == theta.__array_interface__["data"][0] + theta.nbytes


def _hidden_relu(layers: list) -> list[bool] | None:
    """Whether each hidden Dense layer's activation is ReLU (else the identity), when the
    layers are ``(Dense, Activation)* Dense`` with those activations; else None."""
    if len(layers) % 2 != 1 or type(layers[-1]) is not Dense:
        return None
    relu = []
    for dense, act in zip(layers[:-1:2], layers[1::2]):
        if type(dense) is not Dense or type(act) is not Activation or act.params \
                or act.name not in ("relu", "identity"):
            return None
        relu.append(act.name == "relu")
    return relu


def _head_agrees(trainer: Any, fused: dict, y: np.ndarray) -> bool:
    """The compiled head gradient against ``family.gradient_hessian(y, eta)[0] / m`` on the
    first ``m <= 8`` rows of ``y`` and a spread of ``eta`` values (the layer route's check)."""
    m, k, dtype = min(y.shape[0], 8), trainer.network.n_out, trainer.network.dtype
    eta = np.linspace(-2.0, 2.0, m * k).reshape(m, k).astype(dtype)
    Y, labels, use_labels = targets(trainer, y[:m])
    g = eta.copy()
    t = dtype.type
    fused["kernels"]._head_gradient(g, Y, labels, use_labels, np.arange(m), fused["head"],
                                    t(1.0 / m), t(0), t(1))
    ref = np.asarray(trainer.head.gradient_hessian(y[:m], eta[:, 0] if k == 1 else eta)[0],
                     np.float64).reshape(m, k) / m
    tol = 1e-4 if dtype == np.float32 else 1e-10
    return bool(np.allclose(g, ref, rtol=tol, atol=tol * float(np.abs(ref).max() + 1e-30)))


def targets(trainer: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(Y, labels, use_labels)`` for the kernel, which indexes without bounds checks: a 1-D
    ``y`` of a network with several outputs as class labels (integers, or floats and booleans
    holding integers; checked against the number of classes), anything else as ``(n, n_out)``
    float rows of the network's dtype. Both C-contiguous and writable (numba compiles the
    kernel again for every other layout)."""
    k, dtype = trainer.network.n_out, trainer.network.dtype
    if y.ndim == 1 and k > 1:
        labels = np.require(y, np.int64, ["C_CONTIGUOUS", "WRITEABLE"])
        bad = np.flatnonzero((labels < 0) | (labels >= k) | (labels != y))
        if bad.size:
            raise ValueError(f"class label {y[bad[0]].item()!r} in row {int(bad[0])} is not "
                             f"one of 0..{k - 1}")
        return np.zeros((0, 0), dtype), labels, True
    Y = np.require(y.reshape(y.shape[0], -1), dtype, ["C_CONTIGUOUS", "WRITEABLE"])
    if Y.shape[1] != k:
        raise ValueError(f"y has {Y.shape[1]} columns for a network with {k} outputs")
    return Y, np.zeros(0, np.int64), False


def max_steps(trainer: Any) -> int:
    """Steps per compiled call: :data:`CALL_WORK` batch rows x parameters in all (each a few
    multiply-adds; ~1 s of the large benchmark network here), so that Ctrl-C, which waits for
    the call to return, answers soon."""
    per_step = trainer.batch_size * sum(d.n_params for d in trainer.network.dense)
    return max(1, int(CALL_WORK // per_step))


def run(trainer: Any, fused: dict, X: np.ndarray, data: tuple, order: np.ndarray, start: int,
        n_steps: int) -> tuple[np.ndarray, float]:
    """``n_steps`` steps on the batches of ``order`` from ``start``; returns the visited
    rows' ``eta`` (in visit order) and the sum of the per-step penalties."""
    net, B = trainer.network, trainer.batch_size
    dtype, sizes, t = net.dtype, fused["sizes"], net.dtype.type
    if fused["batch"] != B:  # work buffers, kept between calls
        fused["acts"] = np.empty(B * int(sizes.sum()), dtype)
        width = int(sizes[1:-1].max()) if sizes.shape[0] > 2 else 1
        fused["d_a"], fused["d_b"] = np.empty(B * width, dtype), np.empty(B * width, dtype)
        fused["inv"] = (1.0 / np.arange(1, B + 1)).astype(dtype)
        fused["batch"] = B
    eta = np.empty((min(start + n_steps * B, order.shape[0]) - start, int(sizes[-1])), dtype)
    pen = np.zeros(n_steps, np.float64)
    state = trainer.opt_state[0]
    for key in ("m", "v"):  # the kernel has no bounds checks: the state must cover theta
        if len(state[key]) != 1 or state[key][0].shape != net._theta.shape:
            raise RuntimeError(f"reglab: the Adam state's {key!r} does not match the parameter "
                               "vector (a bug: please report it)")
    b1, b2, c1, c2 = trainer.optimizer.steps(trainer.opt_state, n_steps)
    fused["kernels"].train_steps(
        X, *data, fused["head"], order, start, n_steps, B, net._theta, net._dtheta,
        state["m"][0], state["v"][0], t(b1), t(b2), c1.astype(dtype), c2.astype(dtype),
        t(trainer.alpha), float(trainer.alpha), sizes, fused["relu"], fused["acts"],
        fused["d_a"], fused["d_b"], eta, pen, fused["inv"], t(0), t(1))
    return eta, float(pen.sum())
