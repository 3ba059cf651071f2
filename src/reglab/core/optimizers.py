"""Optimizers as composable gradient transformations (the optax design).

A :class:`GradientTransformation` is a pair of functions::

    state = opt.init(params)                       # params: list of arrays (the "leaves")
    updates, state = opt.update(grads, state, params)
    params = apply_updates(params, updates)        # p <- p + u, in place

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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from reglab.core._xp import namespace

__all__ = [
    "GradientTransformation", "chain", "apply_updates", "scale", "scale_by_learning_rate",
    "trace", "scale_by_rms", "scale_by_adam", "add_decayed_weights", "add_l1_penalty",
    "add_l2_penalty", "clip", "clip_by_global_norm", "reduce_on_plateau", "sgd", "momentum",
    "nesterov", "rmsprop", "adam", "adamw", "constant_schedule", "step_schedule",
    "exponential_decay", "cosine_decay", "global_norm", "get_optimizer", "OPTIMIZERS",
]

Leaves = list[Any]
Schedule = Callable[[int], float]


def _noop_observe(state: Any, value: float) -> Any:
    return state


class GradientTransformation(NamedTuple):
    """``init(params) -> state``; ``update(grads, state, params=None) -> (updates, state)``.

    ``observe(state, value) -> state`` receives one scalar per epoch (the monitored loss); only
    :func:`reduce_on_plateau` uses it.
    """

    init: Callable[[Leaves], Any]
    update: Callable[..., tuple[Leaves, Any]]
    observe: Callable[[Any, float], Any] = _noop_observe


def _is_np(x: Any) -> bool:
    return isinstance(x, np.ndarray)


def _zeros_like(leaves: Leaves) -> Leaves:
    out = []
    for p in leaves:
        if _is_np(p):
            out.append(np.zeros_like(p))
        else:
            out.append(namespace(p).zeros_like(p))
    return out


def _scaled(grads: Leaves, factor: float) -> Leaves:
    """``g * factor`` for every leaf, in place where the array allows it."""
    out = []
    for g in grads:
        g *= factor
        out.append(g)
    return out


def _as_schedule(value: float | Schedule) -> Schedule:
    if callable(value):
        return value
    return constant_schedule(float(value))


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply ``transforms`` in order; the state is the tuple of their states."""

    def init(params: Leaves) -> Any:
        return [t.init(params) for t in transforms]

    def update(grads: Leaves, state: Any, params: Leaves | None = None) -> tuple[Leaves, Any]:
        for i, t in enumerate(transforms):
            grads, state[i] = t.update(grads, state[i], params)
        return grads, state

    def observe(state: Any, value: float) -> Any:
        for i, t in enumerate(transforms):
            state[i] = t.observe(state[i], value)
        return state

    return GradientTransformation(init, update, observe)


def apply_updates(params: Leaves, updates: Leaves) -> Leaves:
    """``p <- p + u`` for every leaf, in place where the array allows it (NumPy, CuPy, torch,
    array_api_strict); returns the leaves (new arrays for immutable namespaces such as JAX)."""
    out = []
    for p, u in zip(params, updates, strict=True):
        p += u
        out.append(p)
    return out


def scale(step: float) -> GradientTransformation:
    """``u = step * g``."""

    def update(grads: Leaves, state: Any, params: Leaves | None = None) -> tuple[Leaves, Any]:
        return _scaled(grads, step), state

    return GradientTransformation(lambda params: None, update)


def scale_by_learning_rate(learning_rate: float | Schedule) -> GradientTransformation:
    """``u = -lr(t) * g`` where ``lr`` is a float or a schedule of the step count ``t``."""
    schedule = _as_schedule(learning_rate)

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        lr = schedule(state["count"]) * state["scale"]
        state["count"] += 1
        state["last_lr"] = lr
        return _scaled(grads, -lr), state

    return GradientTransformation(lambda params: {"count": 0, "scale": 1.0, "last_lr": None},
                                  update)


def trace(decay: float, nesterov: bool = False) -> GradientTransformation:
    """Momentum: ``m = decay m + g``; ``u = m`` (heavy ball) or ``u = g + decay m`` (Nesterov)."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        out = []
        for i, g in enumerate(grads):
            m = state["m"][i]
            m *= decay
            m += g
            state["m"][i] = m  # (a new array on immutable namespaces)
            if not nesterov:
                if _is_np(g):
                    np.copyto(g, m)
                    out.append(g)
                else:
                    out.append(m * 1.0)
            elif _is_np(g):
                np.multiply(m, decay, out=state["tmp"][i])
                g += state["tmp"][i]
                out.append(g)
            else:
                out.append(g + decay * m)
        return out, state

    return GradientTransformation(
        lambda params: {"m": _zeros_like(params), "tmp": _zeros_like(params) if nesterov else None},
        update)


def _ema_square(v: Any, g: Any, tmp: Any, decay: float) -> Any:
    """``v <- decay v + (1 - decay) g^2`` (in place on NumPy)."""
    if _is_np(v):
        v *= decay
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - decay
        v += tmp
        return v
    return decay * v + (1.0 - decay) * g * g


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8) -> GradientTransformation:
    """RMSprop scaling: ``v = decay v + (1-decay) g^2``; ``u = g / (sqrt(v) + eps)``."""

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        out = []
        for i, g in enumerate(grads):
            v = _ema_square(state["v"][i], g, state["tmp"][i], decay)
            state["v"][i] = v
            if _is_np(g):
                tmp = state["tmp"][i]
                np.sqrt(v, out=tmp)
                tmp += eps
                np.divide(g, tmp, out=g)
                out.append(g)
            else:
                out.append(g / (namespace(v).sqrt(v) + eps))
        return out, state

    return GradientTransformation(
        lambda params: {"v": _zeros_like(params), "tmp": _zeros_like(params)}, update)


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                  learning_rate: float | Schedule | None = None) -> GradientTransformation:
    """Adam scaling with bias correction: ``u = m_hat / (sqrt(v_hat) + eps)``.

    With ``learning_rate`` the transform also applies ``-lr(t)``, i.e. it equals
    ``chain(scale_by_adam(), scale_by_learning_rate(lr))`` but folds the step size into the
    denominator's constants, saving a pass over the parameters (``adam`` uses this).
    """
    schedule = None if learning_rate is None else _as_schedule(learning_rate)

    def update(grads: Leaves, state: dict, params: Leaves | None = None) -> tuple[Leaves, Any]:
        t0 = state["count"]
        state["count"] += 1
        t = state["count"]
        # The state holds M = m / (1 - b1) and V = v / (1 - b2), which update with one pass
        # fewer each (M = b1 M + g, V = b2 V + g^2); all constants fold into c1, c2:
        # u = m/bc1 / (sqrt(v/bc2) + eps) = M / (sqrt(V) * c1 + c2)  (times -1/lr with lr).
        a = (1.0 - b1) / (1.0 - b1**t)
        c1, c2 = math.sqrt((1.0 - b2) / (1.0 - b2**t)) / a, eps / a
        if schedule is not None:
            lr = schedule(t0) * state["scale"]
            state["last_lr"] = lr
            c1, c2 = -c1 / lr, -c2 / lr
        out = []
        for i, g in enumerate(grads):
            m, v, tmp = state["m"][i], state["v"][i], state["tmp"][i]
            if _is_np(g):
                m *= b1
                m += g
                np.multiply(g, g, out=tmp)
                v *= b2
                v += tmp
                np.sqrt(v, out=tmp)
                tmp *= c1
                tmp += c2
                np.divide(m, tmp, out=g)
                out.append(g)
            else:
                m = b1 * m + g
                v = b2 * v + g * g
                state["m"][i], state["v"][i] = m, v
                out.append(m / (namespace(v).sqrt(v) * c1 + c2))
        return out, state

    return GradientTransformation(
        lambda params: {"count": 0, "m": _zeros_like(params), "v": _zeros_like(params),
                        "tmp": _zeros_like(params), "scale": 1.0, "last_lr": None}, update)


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


# --- learning-rate schedules: step count t (0-based) -> learning rate ---------------------------

def constant_schedule(value: float) -> Schedule:
    """``lr(t) = value``."""
    return lambda count: value


def step_schedule(init_value: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """``lr(t) = init_value * gamma ** floor(t / step_size)``."""
    if step_size <= 0:
        raise ValueError(f"step_size must be positive, got {step_size}")
    return lambda count: init_value * gamma ** (count // step_size)


def exponential_decay(init_value: float, decay_rate: float, transition_steps: int = 1) -> Schedule:
    """``lr(t) = init_value * decay_rate ** (t / transition_steps)``."""
    if transition_steps <= 0:
        raise ValueError(f"transition_steps must be positive, got {transition_steps}")
    return lambda count: init_value * decay_rate ** (count / transition_steps)


def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """``lr(t) = init_value * ((1 - alpha) * 0.5 (1 + cos(pi min(t, T) / T)) + alpha)``."""
    if decay_steps <= 0:
        raise ValueError(f"decay_steps must be positive, got {decay_steps}")

    def schedule(count: int) -> float:
        frac = min(count, decay_steps) / decay_steps
        return init_value * ((1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * frac)) + alpha)

    return schedule


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
