"""The fused training route (reglab.nn._fused) against the layer route it replaces.

Both routes run the same formulas on the same parameter vector and optimizer state; they differ
in the BLAS library behind the products (numba's np.dot calls scipy's) and in summation order
inside a few reductions, so in float64 the parameters after three epochs agree to ~1e-15
relative (asserted: 1e-12) and in float32 to ~1e-7 (asserted: 2e-6).
"""

from __future__ import annotations

import numpy as np
import pytest

from reglab.core import _jit
from reglab.core.optimizers import adam, exponential_decay
from reglab.nn import _fused
from reglab.nn.callbacks import Callback
from reglab.nn.network import build_network
from reglab.nn.training import DivergenceError, Trainer

pytest.importorskip("numba")

N, D = 101, 5


@pytest.fixture(autouse=True)
def kernels(monkeypatch):
    """REGLAB_JIT=1 (every training run on the fused route where it applies) and the kernels
    loaded for each test here; the module state restored after (so that later test modules
    keep the route they expect)."""
    saved = dict(_jit._STATE)
    if _jit.mode() == "off":
        pytest.skip("the compiled kernels are switched off here (REGLAB_JIT=0)")
    monkeypatch.setenv("REGLAB_JIT", "1")
    _jit.reset()
    if _jit.load() is None:
        pytest.skip("the compiled kernels are unavailable here")
    yield
    _jit._STATE.clear()
    _jit._STATE.update(saved)


@pytest.fixture
def layer_route(monkeypatch):
    """A switch: ``layer_route(True)`` keeps every trainer on the layer route."""
    original = _fused.usable

    def switch(on: bool) -> None:
        monkeypatch.setattr(_fused, "usable", (lambda *a: False) if on else original)

    return switch


def _data(loss: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    y = {"categorical": rng.integers(0, 3, N), "onehot": np.eye(3)[rng.integers(0, 3, N)],
         "binomial": rng.integers(0, 2, N).astype(float), "gaussian": rng.standard_normal(N),
         "poisson": rng.poisson(2.0, N).astype(float)}[loss]
    return X, y, 3 if loss in ("categorical", "onehot") else 1


def _trainer(dtype: str, loss: str, k: int, activation="relu", **kw) -> Trainer:
    net = build_network(D, (7, 6), k, activation, dtype=dtype, random_state=1)
    kw = {"learning_rate": 1e-2, "batch_size": 16, "random_state": 3, **kw}
    return Trainer(net, "categorical" if loss == "onehot" else loss, "adam", **kw)


def _train_both(layer_route, dtype, loss, epochs=3, calls=None, **kw):
    X, y, k = _data(loss)
    X = X.astype(dtype)
    out = []
    for layers in (False, True):
        layer_route(layers)
        tr = _trainer(dtype, loss, k, **kw)
        losses = [tr.train_batches(X, y, n_batches=calls) for _ in range(epochs)]
        out.append((tr, losses))
    return out


@pytest.mark.parametrize("loss", ["categorical", "onehot", "binomial", "gaussian", "poisson"])
@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-12), ("float32", 2e-6)])
def test_fused_epochs_match_the_layer_route(layer_route, loss, dtype, rtol):
    (fused, lf), (layers, ll) = _train_both(layer_route, dtype, loss, alpha=0.05)
    assert fused._fused_plan is not None and layers.__dict__.get("_fused_plan") is None
    theta_f, theta_l = fused.network.get_flat(), layers.network.get_flat()
    assert np.max(np.abs(theta_f - theta_l)) <= rtol * np.max(np.abs(theta_l))
    np.testing.assert_allclose(lf, ll, rtol=rtol)
    sf, sl = fused.opt_state[0], layers.opt_state[0]
    assert sf["count"] == sl["count"] == 3 * 7  # ceil(101 / 16) steps per epoch
    np.testing.assert_allclose(np.concatenate(sf["m"]), np.concatenate(sl["m"]),
                               rtol=100 * rtol, atol=100 * rtol * np.abs(sl["m"][0]).max())


def test_schedule_no_shuffle_identity_layers_and_batches_across_epochs(layer_route):
    # a step-size schedule, unshuffled data, a linear hidden layer, and train_batches calls of
    # 5 batches that cross epoch boundaries (the playground's way of training)
    (fused, lf), (layers, ll) = _train_both(
        layer_route, "float64", "categorical", epochs=4, calls=5,
        activation=("relu", "identity"), shuffle=False,
        learning_rate=exponential_decay(1e-2, 0.9, 3))
    np.testing.assert_allclose(fused.network.get_flat(), layers.network.get_flat(), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(lf, ll, rtol=1e-12)
    assert fused.epoch == layers.epoch == 2 and fused._cursor == layers._cursor
    assert fused.history == layers.history == []


def test_routes_mix_between_calls(layer_route):
    # one epoch on each route, alternating, equals three on the layer route
    X, y, k = _data("categorical")
    mixed, plain = _trainer("float64", "categorical", k), _trainer("float64", "categorical", k)
    for i in range(3):
        layer_route(i == 1)
        mixed.train_batches(X, y)
        layer_route(True)
        plain.train_batches(X, y)
    np.testing.assert_allclose(mixed.network.get_flat(), plain.network.get_flat(), rtol=1e-12)


def test_chunked_optimizer_leaves_are_joined(layer_route):
    # a trainer built before the kernels were loaded steps Adam over 32768-element chunks; the
    # fused route joins them (Adam is elementwise) and continues from the same state
    X = np.random.default_rng(0).standard_normal((64, 200))
    y = np.random.default_rng(1).integers(0, 2, 64).astype(float)
    saved = _jit._STATE.pop("compiled")
    try:
        trainers = [Trainer(build_network(200, (200,), 1, dtype="float64", random_state=0),
                            "binomial", "adam", 1e-3, batch_size=16, random_state=0)
                    for _ in range(2)]
    finally:
        _jit._STATE["compiled"] = saved
    assert len(trainers[0]._params) == 2  # 40,401 parameters: two chunks
    for tr, layers in zip(trainers, (False, True)):
        layer_route(layers)
        tr.train_batches(X, y)
        tr.train_batches(X, y)
    assert len(trainers[0]._params) == 1 and len(trainers[1]._params) == 2
    np.testing.assert_allclose(trainers[0].network.get_flat(), trainers[1].network.get_flat(),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", ["tanh", "dropout", "weights", "callback", "clip", "adamw",
                                  "transform", "dtype", "fortran"])
def test_other_trainings_keep_the_layer_route(monkeypatch, case):
    X, y, k = _data("binomial")
    kw, sw = {}, None
    net = build_network(D, (7,), 1, "tanh" if case == "tanh" else "relu",
                        dropout=0.2 if case == "dropout" else 0.0, dtype="float64")

    class Batch(Callback):
        def on_batch_end(self, trainer, batch, loss):
            pass

    if case == "weights":
        sw = np.ones(N)
    kw = {"callback": {"callbacks": [Batch()]}, "clip": {"clip_norm": 1.0}}.get(case, {})
    opt = {"adamw": "adamw", "transform": adam(1e-2)}.get(case, "adam")
    tr = Trainer(net, "binomial", opt, 1e-2, batch_size=16, **kw)
    if case == "dtype":
        X = X.astype(np.float32)
    if case == "fortran":
        X = np.asfortranarray(X)
    calls = []
    monkeypatch.setattr(_fused, "run", lambda *a: calls.append(a))
    tr.train_batches(X, y, sw)
    assert calls == []


def test_a_disagreeing_head_kernel_keeps_the_layer_route(monkeypatch):
    # the plan compares the compiled head gradient with the family's: a logit head computed as
    # the identity (a wrong kernel) must be caught there
    monkeypatch.setitem(_fused._HEADS, "logit", _fused._HEADS["identity"])
    X, y, k = _data("binomial")
    tr = _trainer("float64", "binomial", k)
    tr.train_batches(X, y)
    assert tr._fused_plan is None


def test_bad_label_is_named_and_nothing_changes():
    X, y, k = _data("categorical")
    y[40] = 3
    tr = _trainer("float64", "categorical", k)
    before = tr.network.get_flat()
    with pytest.raises(ValueError, match=r"y\[40\] = 3 is not a class"):
        tr.train_batches(X, y)
    np.testing.assert_array_equal(tr.network.get_flat(), before)
    assert tr.opt_state[0]["count"] == 0
    # the kernel indexes without bounds checks: its own guard names the row as well
    with pytest.raises(ValueError, match="class label 3 in row 40 is not one of 0..2"):
        _fused.targets(tr, y)
    with pytest.raises(ValueError, match="class label 1.5 in row 2 is not one of 0..2"):
        _fused.targets(tr, np.array([0.0, 1.0, 1.5]))


def test_divergence_restores_the_weights():
    X, y, k = _data("gaussian")
    # Adam moves every weight by ~lr per step: 1e30 overflows float32 within two steps
    tr = _trainer("float32", "gaussian", k, learning_rate=1e30)
    before = tr.network.get_flat()
    with pytest.raises(DivergenceError, match="epoch 1"):
        tr.train_batches(X.astype(np.float32), y)
    assert tr._fused_plan is not None
    np.testing.assert_array_equal(tr.network.get_flat(), before)
    assert tr.epoch == 0 and tr.opt_state[0]["count"] == 0
    assert not np.any(tr.opt_state[0]["m"][0]) and not np.any(tr.opt_state[0]["v"][0])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 5 epochs
def test_estimator_fit_on_the_fused_route_matches(layer_route):
    from reglab.models import MLPClassifier

    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 8)).astype(np.float32)
    y = np.where(X[:, 0] + X[:, 1] ** 2 > 1, "yes", "no")
    fits = []
    for layers in (False, True):
        layer_route(layers)
        fits.append(MLPClassifier((16, 16), max_iter=5, batch_size=32, random_state=0,
                                  early_stopping=True).fit(X, y))
    for a, b in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fits[0].loss_curve_, fits[1].loss_curve_, rtol=1e-5)
    assert fits[0].n_iter_ == fits[1].n_iter_ == 5


def test_float_labels_after_integer_labels(layer_route):
    # a categorical y of float (or bool) labels is read as labels, whatever the first call's y
    X, y, k = _data("categorical")
    out = []
    for layers in (False, True):
        layer_route(layers)
        tr = _trainer("float64", "categorical", k)
        tr.train_batches(X, y)
        tr.train_batches(X, y.astype(float))
        tr.train_batches(X, (y == 1))
        out.append(tr.network.get_flat())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-15)


def test_a_call_after_a_divergence_with_joined_leaves():
    # the chunked Adam state is joined before the snapshot: a diverging call gives back the
    # joined layout, and the next call (no bounds checks in the kernel) runs on it
    X = np.random.default_rng(0).standard_normal((64, 200)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal(64)
    saved = _jit._STATE.pop("compiled")
    try:
        tr = Trainer(build_network(200, (200,), 1, random_state=0), "gaussian", "adam", 1e30,
                     batch_size=16, random_state=0)
    finally:
        _jit._STATE["compiled"] = saved
    assert len(tr._params) == 2
    with pytest.raises(DivergenceError):
        tr.train_batches(X, y)
    state = tr.opt_state[0]
    assert len(tr._params) == len(state["m"]) == len(state["v"]) == 1
    assert state["m"][0].shape == tr.network._theta.shape and state["count"] == 0
    before = tr.network.get_flat()
    with pytest.raises(DivergenceError):  # again, in the same layout (once wrote past m, v)
        tr.train_batches(X, y)
    np.testing.assert_array_equal(tr.network.get_flat(), before)
    assert tr.opt_state[0]["m"][0].shape == tr.network._theta.shape


def test_several_calls_per_epoch_and_an_interrupt(layer_route, monkeypatch):
    # at most max_steps steps per compiled call (Ctrl-C waits for the call): the same numbers
    # in 7 calls of one step as in one call of seven
    monkeypatch.setattr(_fused, "CALL_WORK", 1.0)
    (fused, lf), (layers, ll) = _train_both(layer_route, "float64", "gaussian", alpha=0.1)
    np.testing.assert_allclose(fused.network.get_flat(), layers.network.get_flat(),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lf, ll, rtol=1e-12)
    # an interrupt raised when a call returns finds the trainer's place matching its weights
    layer_route(False)
    X, y, k = _data("gaussian")
    tr = _trainer("float64", "gaussian", k)
    run = _fused.run
    calls = []

    def interrupted(*a):
        out = run(*a)
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(_fused, "run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tr.train_batches(X, y)
    assert tr._cursor == 3 * 16 and tr.opt_state[0]["count"] == 3 and tr.epoch == 0


def test_auto_mode_takes_the_fused_route_for_long_runs_only(monkeypatch):
    # REGLAB_JIT unset: a short fit stays on the layer route even with the kernels loaded (so
    # its numbers do not depend on what ran before in the process); a long one is fused
    monkeypatch.setenv("REGLAB_JIT", "auto")
    _jit.reset()
    X, y, k = _data("categorical")
    runs = []
    monkeypatch.setattr(_fused, "run", lambda *a, _r=_fused.run: runs.append(1) or _r(*a))
    tr = _trainer("float64", "categorical", k)
    tr.fit(X, y, epochs=2)
    assert runs == [] and _jit.kernels() is not None
    monkeypatch.setattr(_jit, "MIN_WORK", 1.0)
    tr.fit(X, y, epochs=2)
    assert len(runs) == 2
    tr.train_batches(X, y)  # after a long fit, as part of it (the playground's way)
    assert len(runs) == 3
