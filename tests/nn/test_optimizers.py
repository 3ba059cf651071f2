"""Optimizer transforms against PyTorch's reference implementations and closed forms."""

import math

import array_api_strict as xps
import numpy as np
import pytest

from reglab.core import optimizers as O
from reglab.core._xp import to_numpy

torch = pytest.importorskip("torch")


def _run_reglab(opt, p0, grads_seq):
    params = [p0.copy()]
    state = opt.init(params)
    for g in grads_seq:
        updates, state = opt.update([g.copy()], state, params)
        O.apply_updates(params, updates)
    return params[0]


def _run_torch(make, p0, grads_seq):
    p = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float64))
    opt = make([p])
    for g in grads_seq:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return p.detach().numpy()


CASES = {
    "sgd": (O.sgd(0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "momentum": (O.momentum(0.1, 0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    "nesterov": (O.nesterov(0.1, 0.9),
                 lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True)),
    "rmsprop": (O.rmsprop(0.01, 0.9, 1e-8),
                lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-8)),
    "adam": (O.adam(0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    "adamw": (O.adamw(0.01, weight_decay=0.1),
              lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(7)]
    ours, make = CASES[name]
    np.testing.assert_allclose(_run_reglab(ours, p0, grads), _run_torch(make, p0, grads),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_array_api_strict_matches_numpy(name):
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=(5,))
    grads = [rng.normal(size=(5,)) for _ in range(4)]
    opt = CASES[name][0]
    params = [xps.asarray(p0.copy())]
    state = opt.init(params)
    for g in grads:
        updates, state = opt.update([xps.asarray(g.copy())], state, params)
        params = O.apply_updates(params, updates)
    np.testing.assert_allclose(to_numpy(params[0]), _run_reglab(opt, p0, grads),
                               rtol=1e-12)


def test_update_allocates_no_new_leaves_on_numpy():
    p = [np.ones(10, np.float32)]
    opt = O.adam(0.1)
    state = opt.init(p)
    g = [np.full(10, 0.5, np.float32)]
    updates, _ = opt.update(g, state, p)
    assert updates[0] is g[0] and updates[0].dtype == np.float32
    # first Adam step has magnitude lr (bias-corrected m/sqrt(v) = sign(g))
    np.testing.assert_allclose(updates[0], -0.1, rtol=1e-5)


def test_schedules_closed_form():
    assert O.step_schedule(1.0, 10, 0.5)(25) == 0.25
    assert math.isclose(O.exponential_decay(2.0, 0.5, 4)(8), 0.5)
    cos = O.cosine_decay(1.0, 100, alpha=0.1)
    assert math.isclose(cos(0), 1.0) and math.isclose(cos(100), 0.1) and math.isclose(cos(500), 0.1)
    assert math.isclose(cos(50), 0.55)
    opt = O.chain(O.scale_by_learning_rate(O.step_schedule(1.0, 2, 0.1)))
    p, state = [np.zeros(1)], None
    state = opt.init(p)
    seen = []
    for _ in range(5):
        u, state = opt.update([np.ones(1)], state, p)
        seen.append(-u[0][0])
    np.testing.assert_allclose(seen, [1, 1, 0.1, 0.1, 0.01])


def test_clip_by_global_norm_and_clip():
    g = [np.array([3.0, 0.0]), np.array([4.0])]
    u, _ = O.clip_by_global_norm(1.0).update(g, None)
    assert math.isclose(O.global_norm(u), 1.0)
    np.testing.assert_allclose(u[0], [0.6, 0.0])
    small = [np.array([0.3])]
    assert O.clip_by_global_norm(1.0).update(small, None)[0][0][0] == 0.3
    np.testing.assert_array_equal(O.clip(0.5).update([np.array([-2.0, 0.1])], None)[0][0],
                                  [-0.5, 0.1])


def test_penalties_follow_mask():
    params = [np.array([2.0, -3.0]), np.array([5.0])]
    for tr, expect in ((O.add_l2_penalty(0.5, mask=[True, False]), [1.0, -1.5]),
                       (O.add_l1_penalty(0.5, mask=[True, False]), [0.5, -0.5])):
        st = tr.init(params)
        u, _ = tr.update([np.zeros(2), np.zeros(1)], st, params)
        np.testing.assert_allclose(u[0], expect)
        np.testing.assert_allclose(u[1], [0.0])


def test_reduce_on_plateau_shrinks_scale_after_patience():
    tr = O.reduce_on_plateau(factor=0.5, patience=2)
    st = tr.init([np.zeros(1)])
    for v in [1.0, 0.9, 0.95, 0.95, 0.95]:
        st = tr.observe(st, v)
    assert st["scale"] == 0.5
    u, _ = tr.update([np.ones(1)], st)
    assert u[0][0] == 0.5
    with pytest.raises(ValueError, match="factor"):
        O.reduce_on_plateau(factor=2.0)


def test_get_optimizer_errors_and_composition():
    with pytest.raises(ValueError, match="'adamax'"):
        O.get_optimizer("adamax")
    opt = O.get_optimizer("momentum", 0.1, l1=0.01, clip_norm=1.0, mask=[True])
    p = [np.ones(3)]
    st = opt.init(p)
    u, st = opt.update([np.full(3, 10.0)], st, p)
    # clipped to unit norm after the L1 term, then scaled by -lr
    np.testing.assert_allclose(O.global_norm(u), 0.1)


def test_fused_adam_equals_composed_adam():
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=(3, 3)).astype(np.float32)
    grads = [rng.normal(size=(3, 3)).astype(np.float32) for _ in range(5)]
    sched = O.exponential_decay(0.01, 0.5, 2)
    composed = O.chain(O.scale_by_adam(), O.scale_by_learning_rate(sched))
    fused = O.chain(O.scale_by_adam(learning_rate=sched))
    np.testing.assert_allclose(_run_reglab(fused, p0, grads), _run_reglab(composed, p0, grads),
                               rtol=1e-6)


def _run_apply_step(opt, p0, grads_seq, chunk):
    """Steps through apply_step on ``chunk``-element views of one flat vector."""
    theta = p0.reshape(-1).copy()
    params = [theta[i:i + chunk] for i in range(0, theta.size, chunk)]
    state = opt.init(params)
    for g in grads_seq:
        flat = g.reshape(-1).copy()
        params, state = O.apply_step(opt, [flat[i:i + chunk] for i in range(0, flat.size, chunk)],
                                     state, params)
    return theta.reshape(p0.shape)


@pytest.mark.parametrize("name", ["adam", "adamw", "momentum"])
def test_apply_step_matches_torch(name):
    """The fused sweep (adam) and the generic fallback (others) both equal torch.optim."""
    rng = np.random.default_rng(4)
    p0 = rng.normal(size=(6, 5))
    grads = [rng.normal(size=(6, 5)) for _ in range(7)]
    ours, make = CASES[name]
    assert (ours.apply is not None) == (name == "adam")
    np.testing.assert_allclose(_run_apply_step(ours, p0, grads, chunk=7),
                               _run_torch(make, p0, grads), rtol=1e-12, atol=1e-12)


def test_fused_apply_is_bitwise_update_then_apply_and_chunk_free():
    """float32: the fused sweep gives exactly update + apply_updates, and chunking the vector
    into leaves of any size changes nothing (every operation is elementwise)."""
    rng = np.random.default_rng(5)
    p0 = rng.normal(size=1000).astype(np.float32)
    grads = [rng.normal(size=1000).astype(np.float32) for _ in range(6)]
    sched = O.exponential_decay(0.01, 0.5, 2)
    ref = _run_reglab(O.adam(sched), p0, grads)
    for chunk in (1000, 256, 33):
        out = _run_apply_step(O.adam(sched), p0, grads, chunk)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, ref)


def test_apply_step_on_array_api_strict_falls_back():
    rng = np.random.default_rng(6)
    p0 = rng.normal(size=(5,))
    grads = [rng.normal(size=(5,)) for _ in range(3)]
    opt = O.adam(0.01)
    params = [xps.asarray(p0.copy())]
    state = opt.init(params)
    for g in grads:
        params, state = O.apply_step(opt, [xps.asarray(g.copy())], state, params)
    np.testing.assert_allclose(to_numpy(params[0]), _run_reglab(opt, p0, grads), rtol=1e-12)
