"""The numba kernels of reglab.core._jit against the NumPy code they replace.

The kernels promise the *same numbers* as the NumPy route (same dtype, same operation order,
no fastmath), so most checks here are exact equality, not a tolerance.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from reglab.core import _jit
from reglab.core._optim_scaling import _adam_leaf, scale_by_adam

numba = pytest.importorskip("numba")


@pytest.fixture(autouse=True)
def jit_state(monkeypatch):
    """Restore the module's cached kernels and REGLAB_JIT decision after every test here (so
    the kernels loaded by these tests do not switch later test modules to the fused path)."""
    saved = dict(_jit._STATE)
    yield
    _jit._STATE.clear()
    _jit._STATE.update(saved)


def _kernels():
    k = _jit.load()
    if k is None:
        # only when the environment running the tests sets REGLAB_JIT=0 (numba missing skips
        # the whole module above; a numba that fails to compile warns in _jit._build)
        pytest.skip("the compiled kernels are unavailable here (REGLAB_JIT=0 or a broken numba)")
    return k


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_kernel_equals_numpy_passes_exactly(dtype):
    rng = np.random.default_rng(0)
    n = 5000
    p = rng.standard_normal(n).astype(dtype)
    g = (rng.standard_normal(n) * 1e-3).astype(dtype)
    m = (rng.standard_normal(n) * 1e-3).astype(dtype)
    v = (np.abs(rng.standard_normal(n)) * 1e-6).astype(dtype)
    a = [x.copy() for x in (p, g, m, v)]
    b = [x.copy() for x in (p, g, m, v)]
    _kernels().adam(*a, 0.9, 0.999, -1234.5, -1e-5)
    b[0] += _adam_leaf(b[2], b[3], np.empty_like(p), b[1], 0.9, 0.999, -1234.5, -1e-5)
    for x, y, name in zip(a, b, "pgmv"):
        if name != "g":  # the NumPy route overwrites g with the update; the kernel leaves it
            np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_and_bias_add_equal_numpy(dtype):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((37, 19)).astype(dtype)
    z[0, 0], z[1, 1] = np.nan, -0.0
    b = rng.standard_normal(19).astype(dtype)
    k = _kernels()
    got = z.copy()
    k.bias_relu(got, b)
    np.testing.assert_array_equal(got, np.maximum(z + b, 0))  # NaN stays NaN
    # the sign of zero too (assert_array_equal takes -0.0 == 0.0): np.maximum(-0.0, 0) is +0
    neg = np.full((2, 3), -0.0, dtype)
    k.bias_relu(neg, np.full(3, -0.0, dtype))
    np.testing.assert_array_equal(np.signbit(neg), np.signbit(np.maximum(
        np.full((2, 3), -0.0, dtype), 0)))
    got = z.copy()
    k.bias_add(got, b)
    np.testing.assert_array_equal(got, z + b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "logistic"])
def test_activation_backward_with_bias_gradient_equals_numpy(name, dtype):
    rng = np.random.default_rng(2)
    z = rng.standard_normal((64, 33)).astype(dtype)
    a = {"relu": np.maximum(z, 0), "tanh": np.tanh(z)}.get(name, 1 / (1 + np.exp(-z)))
    a = a.astype(dtype)
    g = rng.standard_normal((64, 33)).astype(dtype)
    g[3, 4] = np.nan  # propagates as in g * mask (NaN * 0 is NaN)
    if name == "relu":
        want = g * (a > 0)
    elif name == "tanh":
        want = g * (1 - a * a)
    else:
        want = g * ((1 - a) * a)
    got, db = g.copy(), np.empty(33, dtype)
    _kernels().backward[name](a, got, db)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(db, np.add.reduce(want, axis=0))  # same order: exact


def test_usable_requires_one_float_dtype_and_c_order():
    a = np.zeros((3, 4), np.float32)
    assert _jit.usable(a, np.zeros(4, np.float32))
    assert not _jit.usable(a, np.zeros(4, np.float64))
    assert not _jit.usable(a.T, np.zeros(3, np.float32))
    assert not _jit.usable(np.zeros(3, np.int64))
    assert not _jit.usable([1.0, 2.0])


@pytest.mark.parametrize("value,expected", [("0", "off"), ("off", "off"), ("No", "off"),
                                            ("1", "on"), ("yes", "on"), ("", "auto"),
                                            ("auto", "auto"), ("maybe", "auto")])
def test_reglab_jit_environment_switch(monkeypatch, jit_state, value, expected):
    monkeypatch.setenv("REGLAB_JIT", value)
    _jit.reset()
    assert _jit.mode() == expected
    assert (_jit.load() is not None) is (expected != "off")
    assert (_jit.kernels() is not None) is (expected != "off")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_mode_loads_the_kernels_only_for_long_runs(monkeypatch, jit_state):
    """Loading costs ~0.8 s per process: "auto" loads for expected work (epochs x rows x
    parameters) of at least MIN_WORK, "on" always; the hot paths never load by themselves."""
    from reglab.models.mlp import MLPClassifier

    X = np.random.default_rng(0).standard_normal((100, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier((5,), max_iter=2, random_state=0)  # work 2 x 100 x 26 = 5,200
    monkeypatch.delenv("REGLAB_JIT", raising=False)
    _jit._STATE.clear()
    assert _jit.kernels() is None  # enabled, but not loaded
    clf.fit(X, y)
    assert "compiled" not in _jit._STATE
    monkeypatch.setattr(_jit, "MIN_WORK", 5200.0)
    clf.fit(X, y)
    assert _jit._STATE.get("compiled") is not None
    _jit._STATE.clear()
    monkeypatch.setattr(_jit, "MIN_WORK", 5201.0)
    clf.fit(X, y)
    assert "compiled" not in _jit._STATE
    monkeypatch.setenv("REGLAB_JIT", "1")
    _jit.reset()
    clf.fit(X, y)
    assert _jit._STATE.get("compiled") is not None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_without_numba_every_caller_keeps_numpy(monkeypatch, jit_state):
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    monkeypatch.setenv("REGLAB_JIT", "1")
    _jit._STATE.clear()
    assert _jit.load() is None and _jit.kernels() is None
    from reglab.models.mlp import MLPClassifier

    X = np.random.default_rng(0).standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier((5,), max_iter=3, random_state=0).fit(X, y)
    assert np.all(np.isfinite(clf.coefs_[0]))


def _fit(activation, jit_on, monkeypatch, dtype, hidden):
    """Fit a classifier and a regressor (with dropout and sample weights) and return every
    weight array, with the number of fused Dense+Activation passes that ran."""
    from reglab.models.mlp import MLPClassifier, MLPRegressor
    from reglab.nn import _fused
    from reglab.nn.layers import Activation

    monkeypatch.setenv("REGLAB_JIT", "1" if jit_on else "0")
    _jit.reset()
    # the layer route's kernels are what is compared here; the whole-epoch route (ReLU
    # networks) agrees only to rounding and has its own tests (tests/nn/test_fused.py)
    monkeypatch.setattr(_fused, "usable", lambda *a: False)
    calls = []
    fused = Activation.forward_fused
    monkeypatch.setattr(Activation, "forward_fused",
                        lambda self, *a, **k: calls.append(1) or fused(self, *a, **k))
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 6))
    y3 = np.digitize(X[:, 0] + X[:, 1] * X[:, 2], [-0.5, 0.5])
    sw = rng.uniform(0.5, 2.0, 300)
    clf = MLPClassifier(hidden, activation=activation, batch_size=32, learning_rate=0.01,
                        max_iter=4, random_state=0, dtype=dtype).fit(X, y3)
    reg = MLPRegressor(hidden, activation=activation, batch_size=50, learning_rate=0.01,
                       dropout=0.2, max_iter=4, random_state=1, dtype=dtype).fit(
        X, np.sin(X[:, 0]), sample_weight=sw)
    return [*clf.coefs_, *clf.intercepts_, *reg.coefs_, *reg.intercepts_], len(calls)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
def test_training_with_kernels_is_bitwise_equal_to_numpy(activation, dtype, monkeypatch):
    """The fused bias/activation passes and the one-pass Adam change speed, never results
    (learning rate 1e-2 so that rounding differences would not be rounded away; a one-unit
    hidden layer, whose db NumPy sums pairwise, keeps the plain route)."""
    with_jit, n_fused = _fit(activation, True, monkeypatch, dtype, (16, 1, 8))
    without, n_plain = _fit(activation, False, monkeypatch, dtype, (16, 1, 8))
    assert n_fused > 0 and n_plain == 0
    for a, b in zip(with_jit, without):
        np.testing.assert_array_equal(a, b)


def test_fused_layers_give_central_difference_gradients(jit_state, monkeypatch):
    """Training-mode backprop through fused Dense+Activation pairs equals central differences
    of the objective (float64, relative error < 1e-7 on every coordinate)."""
    from reglab.nn import build_network
    from reglab.nn.training import Trainer

    monkeypatch.setenv("REGLAB_JIT", "1")
    _jit.reset()
    _kernels()
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    for act in ("relu", "tanh", "sigmoid"):
        net = build_network(5, (7, 6), 1, activation=act, dtype="float64", random_state=0)
        trainer = Trainer(net, loss="gaussian", optimizer="sgd")
        trainer.loss_and_gradient(X, y)
        assert all(layer._fused_db for layer in net.layers if hasattr(layer, "_fused_db"))
        analytic = net.get_flat_grad()
        theta, h = net.get_flat(), 1e-6
        numeric = np.empty_like(theta)
        for i in range(theta.size):
            f = []
            for step in (h, -h):
                t = theta.copy()
                t[i] += step
                net.set_flat(t)
                f.append(trainer.loss_and_gradient(X, y))
            numeric[i] = (f[0] - f[1]) / (2 * h)
        net.set_flat(theta)
        scale = np.maximum(np.abs(analytic), np.abs(numeric)).max()
        np.testing.assert_allclose(analytic, numeric, rtol=0, atol=1e-7 * scale, err_msg=act)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_transform_fused_apply_equals_update_then_add(dtype, jit_state):
    """``apply`` (the kernel) and ``update`` + add (NumPy passes) over five steps, exactly."""
    _kernels()
    rng = np.random.default_rng(5)
    opt = scale_by_adam(learning_rate=0.01)
    p1 = [rng.standard_normal(1000).astype(dtype), rng.standard_normal(7).astype(dtype)]
    p2 = [p.copy() for p in p1]
    s1, s2 = opt.init(p1), opt.init(p2)
    for _ in range(5):
        g = [rng.standard_normal(p.shape).astype(dtype) for p in p1]
        s1 = opt.apply([x.copy() for x in g], s1, p1)
        updates, s2 = opt.update([x.copy() for x in g], s2, p2)
        for p, u in zip(p2, updates):
            p += u
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shape", [(256, 10), (64, 2), (3, 300), (7, 1)])
def test_column_sums_equal_numpy_reduction_exactly(shape):
    # (one column of 8+ rows is a contiguous vector, which NumPy sums pairwise: the layers
    # keep np.add.reduce there)
    g = np.random.default_rng(6).standard_normal(shape).astype(np.float32)
    db = np.empty(shape[1], np.float32)
    _kernels().column_sums(g, db)
    np.testing.assert_array_equal(db, np.add.reduce(g, axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [2, 3, 7, 8, 10, 17, 64, 127, 128])
def test_softmax_gradient_kernels_equal_numpy_exactly(dtype, k, jit_state, monkeypatch):
    """Row max, NumPy's exp, row sums in NumPy's pairwise order: the same bits as the NumPy
    kernel of reglab.nn._fastgrad, for one-hot rows and for integer labels."""
    from reglab.nn._fastgrad import _softmax

    rng = np.random.default_rng(k)
    eta = (rng.standard_normal((50, k)) * 4).astype(dtype)
    eta[7, k // 2] = np.nan
    labels = rng.integers(0, k, 50)
    onehot = np.eye(k, dtype=dtype)[labels]
    for y in (onehot, labels):
        monkeypatch.setenv("REGLAB_JIT", "1")
        _jit.reset()
        _kernels()
        got = _softmax(y, eta, np.empty_like(eta), 1 / 50)
        monkeypatch.setenv("REGLAB_JIT", "0")
        _jit.reset()
        want = _softmax(y, eta, np.empty_like(eta), 1 / 50)
        np.testing.assert_array_equal(got, want)


def test_softmax_kernel_names_a_label_out_of_range(jit_state):
    eta = np.zeros((4, 3), np.float32)
    k = _kernels()
    k.softmax_shift(eta, out := np.empty_like(eta))
    with pytest.raises(ValueError, match="class label 3 in row 2 is outside 0..2"):
        k.softmax_finish(out, np.array([0, 1, 3, 2]), 0.25)


def test_kernels_switched_off_between_forward_and_backward_still_give_the_gradient(
        monkeypatch, jit_state):
    """The fusion only moves the bias add into the activation pass: a backward pass without
    the kernels (Dense then sums db itself) gives the same gradients."""
    from reglab.nn import build_network

    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((30, 4)), rng.standard_normal(30)
    grads = []
    for switch_off_midway in (False, True):
        monkeypatch.setenv("REGLAB_JIT", "1")
        _jit.reset()
        _kernels()
        net = build_network(4, (6,), 1, activation="relu", dtype="float64", random_state=0)
        eta = net.forward(X, training=True)
        if switch_off_midway:
            monkeypatch.setenv("REGLAB_JIT", "0")
            _jit.reset()
        net.backward((eta[:, 0] - y).reshape(-1, 1) / len(y))
        grads.append(net.get_flat_grad())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_a_prediction_between_forward_and_backward_changes_nothing(monkeypatch):
    """The playground draws predictions between a training step's passes: with the fused
    pairs the prediction and the step's gradients are those of the plain route."""
    from reglab.nn import build_network

    rng = np.random.default_rng(8)
    X, X2, y = rng.standard_normal((40, 3)), rng.standard_normal((9, 3)), rng.standard_normal(40)
    out = []
    for flag in ("1", "0"):
        monkeypatch.setenv("REGLAB_JIT", flag)
        _jit.reset()
        if flag == "1":
            _kernels()
        net = build_network(3, (5, 4), 1, activation="relu", random_state=0)
        eta = net.forward(X, training=True)
        pred = net.predict_eta(X2)
        net.backward((eta[:, 0] - y).reshape(-1, 1) / len(y))
        out.append((pred.copy(), net.get_flat_grad()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_with_float_or_mismatched_labels_keeps_numpy_semantics(dtype, monkeypatch):
    """Float class codes take NumPy's route (no kernel typed for a float index), and a label
    array that does not match the batch raises as NumPy does instead of reading past it."""
    from reglab.nn._fastgrad import _softmax

    _kernels()
    eta = np.random.default_rng(9).standard_normal((6, 3)).astype(dtype)
    codes = np.array([0, 2, 1, 1, 0, 2], dtype=dtype)
    got = _softmax(codes, eta, np.empty_like(eta), 1 / 6)
    monkeypatch.setenv("REGLAB_JIT", "0")
    _jit.reset()
    np.testing.assert_array_equal(got, _softmax(codes, eta, np.empty_like(eta), 1 / 6))
    monkeypatch.setenv("REGLAB_JIT", "1")
    _jit.reset()
    with pytest.raises(ValueError):
        _softmax(np.eye(2, dtype=dtype)[[0, 1, 1, 0, 0, 1]], eta, np.empty_like(eta), 1 / 6)
    with pytest.raises(IndexError):
        _softmax(np.array([0, 1, 2]), eta, np.empty_like(eta), 1 / 6)


def test_more_than_128_classes_keep_the_numpy_softmax(monkeypatch):
    from reglab.nn._fastgrad import _softmax

    k = _kernels()
    monkeypatch.setattr(k, "softmax_shift", lambda *a: pytest.fail("kernel used for K > 128"))
    eta = np.zeros((4, 129), np.float32)
    _softmax(np.array([0, 5, 128, 7]), eta, np.empty_like(eta), 0.25)
