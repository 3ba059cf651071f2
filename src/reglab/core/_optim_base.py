"""Optimizer plumbing: the transform type, chaining, applying updates, step-size schedules.

See :mod:`reglab.core.optimizers` for the design and the update rules; this module holds the
pieces every transform uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from reglab.core._xp import namespace

Leaves = list[Any]
Schedule = Callable[[int], float]


def _noop_observe(state: Any, value: float) -> Any:
    return state


class GradientTransformation(NamedTuple):
    """``init(params) -> state``; ``update(grads, state, params=None) -> (updates, state)``.

    ``observe(state, value) -> state`` receives one scalar per epoch (the monitored loss); only
    :func:`reduce_on_plateau` uses it. ``apply(grads, state, params) -> state``, when present,
    is ``update`` followed by :func:`apply_updates` done in one sweep over NumPy leaves (the
    same operations in the same order, so the result is bitwise the same); call it through
    :func:`apply_step`.

    ``steps(state, n) -> (b1, b2, c1, c2)``, when present (Adam with its step size folded in),
    advances the state's step count by ``n`` and returns the per-step constants of those ``n``
    updates (``c1``, ``c2`` float64 arrays), so that a compiled training loop
    (:mod:`reglab.nn._fused`) can make them itself on the state's ``m`` and ``v``.
    """

    init: Callable[[Leaves], Any]
    update: Callable[..., tuple[Leaves, Any]]
    observe: Callable[[Any, float], Any] = _noop_observe
    apply: Callable[..., Any] | None = None
    steps: Callable[[Any, int], tuple] | None = None


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
    """Apply ``transforms`` in order; the state is the list of their states. A chain of one
    transform keeps that transform's fused ``apply`` and ``steps``."""

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

    apply = steps = None
    if len(transforms) == 1 and transforms[0].apply is not None:
        inner = transforms[0].apply

        def apply(grads: Leaves, state: Any, params: Leaves) -> Any:
            state[0] = inner(grads, state[0], params)
            return state

    if len(transforms) == 1 and transforms[0].steps is not None:
        inner_steps = transforms[0].steps

        def steps(state: Any, n: int) -> tuple:
            return inner_steps(state[0], n)

    return GradientTransformation(init, update, observe, apply, steps)


def apply_updates(params: Leaves, updates: Leaves) -> Leaves:
    """``p <- p + u`` for every leaf, in place where the array allows it (NumPy, CuPy, torch,
    array_api_strict); returns the leaves (new arrays for immutable namespaces such as JAX)."""
    out = []
    for p, u in zip(params, updates, strict=True):
        p += u
        out.append(p)
    return out


def apply_step(opt: GradientTransformation, grads: Leaves, state: Any,
               params: Leaves) -> tuple[Leaves, Any]:
    """One optimizer step in place: ``update`` then :func:`apply_updates`, fused into one sweep
    when ``opt`` has ``apply`` and the leaves are NumPy arrays. Consumes ``grads``; returns
    ``(params, state)``."""
    if opt.apply is not None and all(_is_np(a) for a in (*params, *grads)):
        return params, opt.apply(grads, state, params)
    updates, state = opt.update(grads, state, params)
    return apply_updates(params, updates), state


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
