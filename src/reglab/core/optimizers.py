"""Optimizers as composable gradient transformations (the optax design).

A :class:`GradientTransformation` is a pair of functions::

    state = opt.init(params)                       # params: list of arrays (the "leaves")
    updates, state = opt.update(grads, state, params)
    params = apply_updates(params, updates)        # p <- p + u, in place
    params, state = apply_step(opt, grads, state, params)  # both, fused where possible

and :func:`chain` composes them, e.g.
``adam(lr) = chain(scale_by_adam(), scale_by_learning_rate(lr))`` and
``adamw(lr, wd) = chain(scale_by_adam(), add_decayed_weights(wd), scale_by_learning_rate(lr))``.

Performance note (why this is not purely functional like optax): ``update`` *consumes* ``grads``:
on NumPy every transform works in place with ``out=`` into the gradient buffers and in
preallocated state buffers, so one optimizer step allocates nothing. On other array namespaces the
same formulas run out of place (the array API has no ``out=``); results are identical.

The update rules (``g`` gradient, ``t`` step count from 1, ``lr`` learning rate):

- SGD: ``u = -lr g``; momentum (``trace``): ``m = beta m + g``, ``u = -lr m``; Nesterov:
  ``u = -lr (g + beta m)``.
- RMSprop: ``v = rho v + (1 - rho) g^2``, ``u = -lr g / (sqrt(v) + eps)``.
- Adam: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g^2``,
  ``u = -lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
- AdamW: Adam plus ``wd * p`` added *after* the adaptive scaling (decoupled weight decay).
- L2 / L1 penalties: ``g += l2 p`` / ``g += l1 sign(p)`` *before* the scaling.

Layout: the transform type, :func:`chain`, :func:`apply_updates`, :func:`apply_step` and the
schedules live in ``_optim_base``; momentum, RMSprop and Adam in ``_optim_scaling``; penalties,
clipping, reduce-on-plateau and the named optimizers here. Import everything from this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reglab.core._optim_base import (
    GradientTransformation,
    Leaves,
    Schedule,
    _is_np,
    _scaled,
    _zeros_like,
    apply_step,
    apply_updates,
    chain,
    constant_schedule,
    cosine_decay,
    exponential_decay,
    scale,
    scale_by_learning_rate,
    step_schedule,
)
from reglab.core._optim_scaling import scale_by_adam, scale_by_rms, trace
from reglab.core._xp import namespace

__all__ = [
    "GradientTransformation", "chain", "apply_updates", "apply_step", "scale",
    "scale_by_learning_rate", "trace", "scale_by_rms", "scale_by_adam", "add_decayed_weights",
    "add_l1_penalty", "add_l2_penalty", "clip", "clip_by_global_norm", "reduce_on_plateau", "sgd",
    "momentum", "nesterov", "rmsprop", "adam", "adamw", "constant_schedule", "step_schedule",
    "exponential_decay", "cosine_decay", "global_norm", "get_optimizer", "OPTIMIZERS",
]


def _masked(params: Leaves | None, mask: Sequence[bool] | None) -> list[tuple[int, Any]]:
    if params is None:
        raise ValueError("this transform needs the params: call update(grads, state, params)")
    if mask is None:
        return list(enumerate(params))
    return [(i, p) for i, (p, keep) in enumerate(zip(params, mask, strict=True)) if keep]


def _add_scaled(grads: Leaves, state: dict | None, params: Leaves | None,
                mask: Sequence[bool] | None, coef: float, fn: Callable[[Any], Any]) -> Leaves:
    """``g += coef * fn(p)`` on the masked leaves (in place on NumPy)."""
    for i, p in _masked(params, mask):
        if _is_np(grads[i]):
            tmp = state["tmp"][i]
            fn(p, tmp)
            tmp *= coef
            grads[i] += tmp
        else:
            grads[i] = grads[i] + coef * fn(p, None)
    return grads


def _identity_into(p: Any, out: Any) -> Any:
    if out is None:
        return p
    np.copyto(out, p)
    return out


def _sign_into(p: Any, out: Any) -> Any:
    if out is None:
        return namespace(p).sign(p)
    return np.sign(p, out=out)


def add_decayed_weights(weight_decay: float, mask: Sequence[bool] | None = None
                        ) -> GradientTransformation:
    """``u += weight_decay * p`` on the leaves where ``mask`` is True (all when None)."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        if weight_decay:
            grads = _add_scaled(grads, state, params, mask, weight_decay, _identity_into)
        return grads, state

    return GradientTransformation(lambda params: {"tmp": _zeros_like(params)}, update)


def add_l2_penalty(l2: float, mask: Sequence[bool] | None = None) -> GradientTransformation:
    """Gradient of ``l2/2 ||p||^2``: ``g += l2 p`` (put it before the scaling transforms)."""
    return add_decayed_weights(l2, mask)


def add_l1_penalty(l1: float, mask: Sequence[bool] | None = None) -> GradientTransformation:
    """Subgradient of ``l1 ||p||_1``: ``g += l1 sign(p)`` (put it before the scaling transforms)."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        if l1:
            grads = _add_scaled(grads, state, params, mask, l1, _sign_into)
        return grads, state

    return GradientTransformation(lambda params: {"tmp": _zeros_like(params)}, update)


def clip(max_delta: float) -> GradientTransformation:
    """Clip every coordinate to ``[-max_delta, max_delta]``."""

    def update(grads: Leaves, state: Any, params: Leaves | None = None) -> tuple[Leaves, Any]:
        out = []
        for g in grads:
            if _is_np(g):
                out.append(np.clip(g, -max_delta, max_delta, out=g))
            else:
                out.append(namespace(g).clip(g, -max_delta, max_delta))
        return out, state

    return GradientTransformation(lambda params: None, update)


def global_norm(leaves: Leaves) -> float:
    """``sqrt(sum_i ||leaf_i||^2)`` as a Python float."""
    total = 0.0
    for g in leaves:
        if _is_np(g):
            flat = g.reshape(-1)
            total += float(np.dot(flat, flat))
        else:
            total += float(namespace(g).sum(g * g))
    return math.sqrt(total)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Rescale all leaves together so that their global norm is at most ``max_norm``."""

    def update(grads: Leaves, state: Any, params: Leaves | None = None) -> tuple[Leaves, Any]:
        norm = global_norm(grads)
        if norm > max_norm:
            grads = _scaled(grads, max_norm / norm)
        return grads, state

    return GradientTransformation(lambda params: None, update)


def reduce_on_plateau(factor: float = 0.1, patience: int = 10, rtol: float = 1e-4,
                      min_scale: float = 0.0) -> GradientTransformation:
    """Multiply updates by a scale that shrinks by ``factor`` after ``patience`` epochs without a
    relative improvement of ``rtol`` in the monitored value (fed through ``observe``)."""
    if not 0.0 < factor < 1.0:
        raise ValueError(f"reduce_on_plateau factor must be in (0, 1), got {factor}")

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        if state["scale"] != 1.0:
            grads = _scaled(grads, state["scale"])
        return grads, state

    def observe(state: dict, value: float) -> dict:
        if value < state["best"] * (1.0 - rtol) if state["best"] > 0 else value < state["best"]:
            state["best"], state["bad_epochs"] = value, 0
        else:
            state["bad_epochs"] += 1
            if state["bad_epochs"] > patience:
                state["scale"] = max(state["scale"] * factor, min_scale)
                state["bad_epochs"] = 0
        return state

    return GradientTransformation(
        lambda params: {"scale": 1.0, "best": math.inf, "bad_epochs": 0}, update, observe)


# --- the usual optimizers as chains -------------------------------------------------------------

def sgd(learning_rate: float | Schedule = 1e-2) -> GradientTransformation:
    """Plain SGD: ``u = -lr g``."""
    return chain(scale_by_learning_rate(learning_rate))


def momentum(learning_rate: float | Schedule = 1e-2, beta: float = 0.9) -> GradientTransformation:
    """Heavy-ball momentum: ``m = beta m + g``, ``u = -lr m``."""
    return chain(trace(beta), scale_by_learning_rate(learning_rate))


def nesterov(learning_rate: float | Schedule = 1e-2, beta: float = 0.9) -> GradientTransformation:
    """Nesterov momentum: ``m = beta m + g``, ``u = -lr (g + beta m)``."""
    return chain(trace(beta, nesterov=True), scale_by_learning_rate(learning_rate))


def rmsprop(learning_rate: float | Schedule = 1e-3, decay: float = 0.9,
            eps: float = 1e-8) -> GradientTransformation:
    """RMSprop."""
    return chain(scale_by_rms(decay, eps), scale_by_learning_rate(learning_rate))


def adam(learning_rate: float | Schedule = 1e-3, b1: float = 0.9, b2: float = 0.999,
         eps: float = 1e-8) -> GradientTransformation:
    """Adam (Kingma & Ba 2015), the step size folded into the scaling (one pass fewer)."""
    return chain(scale_by_adam(b1, b2, eps, learning_rate=learning_rate))


def adamw(learning_rate: float | Schedule = 1e-3, weight_decay: float = 1e-2, b1: float = 0.9,
          b2: float = 0.999, eps: float = 1e-8,
          mask: Sequence[bool] | None = None) -> GradientTransformation:
    """AdamW: Adam with decoupled weight decay ``u = -lr (adam(g) + wd p)``."""
    return chain(scale_by_adam(b1, b2, eps), add_decayed_weights(weight_decay, mask),
                 scale_by_learning_rate(learning_rate))


OPTIMIZERS: dict[str, Callable[..., GradientTransformation]] = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
}


def get_optimizer(name: str | GradientTransformation, learning_rate: float | Schedule = 1e-3, *,
                  beta: float = 0.9, weight_decay: float = 0.0, l1: float = 0.0,
                  clip_norm: float | None = None, plateau: dict | None = None,
                  mask: Sequence[bool] | None = None) -> GradientTransformation:
    """Build a named optimizer with optional L1 penalty (``l1``), gradient clipping
    (``clip_norm``), decoupled weight decay (adamw) and reduce-on-plateau (``plateau`` kwargs).

    ``mask`` marks the leaves that penalties and weight decay apply to (weights, not biases).
    """
    if isinstance(name, GradientTransformation):
        return name
    key = str(name).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    parts: list[GradientTransformation] = []
    if l1:
        parts.append(add_l1_penalty(l1, mask))
    if clip_norm is not None:
        parts.append(clip_by_global_norm(clip_norm))
    if key in ("momentum", "nesterov"):
        parts.append(OPTIMIZERS[key](learning_rate, beta))
    elif key == "adamw":
        parts.append(adamw(learning_rate, weight_decay if weight_decay else 1e-2, mask=mask))
    else:
        parts.append(OPTIMIZERS[key](learning_rate))
    if plateau is not None:
        parts.append(reduce_on_plateau(**plateau))
    return parts[0] if len(parts) == 1 else chain(*parts)
