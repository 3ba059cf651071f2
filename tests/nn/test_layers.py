"""Backprop against central differences for every activation, family head and layer type."""

import json

import array_api_strict as xps
import numpy as np
import pytest

from reglab.core._xp import to_numpy
from reglab.core.activations import ACTIVATIONS
from reglab.core.families import get_family
from reglab.core.losses import LOSSES
from reglab.nn import Activation, Dense, Dropout, Sequential, build_network, check_gradients

RNG = np.random.default_rng(7)
X = RNG.normal(size=(9, 3))


def _targets(name, n=9, k=3):
    rng = np.random.default_rng(3)
    if name == "categorical":
        return np.eye(k)[rng.integers(0, k, n)]
    if name in ("binomial", "bernoulli"):
        return rng.integers(0, 2, n).astype(float)
    if name in ("poisson", "negative_binomial", "tweedie"):
        return rng.poisson(2.0, n).astype(float)
    if name in ("gamma", "inverse_gaussian"):
        return rng.gamma(2.0, 1.0, n)
    return rng.normal(size=n)


def _jitter_biases(net, seed=0):
    """Zero biases put ReLU units exactly on their kink for all-zero inputs (a row whose first
    layer is all dead feeds z = b = 0 to the next): start the check away from kinks."""
    rng = np.random.default_rng(seed)
    net.set_weights(net.coefs_, [rng.normal(0, 0.5, b.shape) for b in net.intercepts_])
    return net


# every activation except `step`, whose derivative is zero almost everywhere (nothing to check)
@pytest.mark.parametrize("act", sorted(set(ACTIVATIONS) - {"step"}))
def test_gradients_every_activation(act):
    net = _jitter_biases(build_network(3, (5, 4), 1, activation=act, random_state=0,
                                       dtype="float64"))
    res = check_gradients(net, X, _targets("gaussian"), loss="gaussian", alpha=0.1)
    assert res["relative_error"] < 1e-6, res


HEADS = {
    "gaussian": "gaussian", "binomial": "binomial", "poisson": "poisson",
    "negative_binomial": get_family("negative_binomial", alpha=0.5),
    "gamma": get_family("gamma", link="log"),
    "inverse_gaussian": get_family("inverse_gaussian", link="log"),
    "tweedie": get_family("tweedie", power=1.5, link="log"),
    "categorical": "categorical", "huber": "huber", "absolute_error": "absolute_error",
    "squared_error": "squared_error",
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_gradients_every_head_with_weights(name):
    k = 3 if name == "categorical" else 1
    net = _jitter_biases(build_network(3, (4,), k, activation="tanh", random_state=1))
    sw = np.random.default_rng(2).uniform(0.5, 2.0, 9)
    target = _targets(name if name not in LOSSES else "gaussian")
    res = check_gradients(net, X, target, loss=HEADS[name], sample_weight=sw, alpha=0.05)
    assert res["relative_error"] < 1e-6, res


def test_softmax_head_gradient_is_p_minus_y():
    """Categorical + multinomial logit: dL/deta = (softmax(eta) - Y) / n, with no special case."""
    from reglab.nn import Trainer

    net = build_network(3, (), 3, random_state=0, dtype="float64")
    Y = _targets("categorical")
    trainer = Trainer(net, loss="categorical")
    seen = {}
    last = net.dense[-1]
    orig = last.backward
    last.backward = lambda g: seen.setdefault("g", g.copy()) is not None and orig(g)
    trainer.loss_and_gradient(X, Y)
    eta = X @ net.coefs_[0] + net.intercepts_[0]
    p = np.exp(eta - eta.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(seen["g"], (p - Y) / 9, rtol=1e-12, atol=1e-15)


def test_dense_input_gradient_and_shapes():
    d = Dense(3, 2)
    d.W, d.b = RNG.normal(size=(3, 2)), RNG.normal(size=2)
    d.dW, d.db = np.zeros((3, 2)), np.zeros(2)
    x = RNG.normal(size=(4, 3))
    g = RNG.normal(size=(4, 2))
    out = d.forward(x, training=True)
    np.testing.assert_allclose(out, x @ d.W + d.b)
    dx = d.backward(g)
    np.testing.assert_allclose(dx, g @ d.W.T)
    np.testing.assert_allclose(d.dW, x.T @ g)
    np.testing.assert_allclose(d.db, g.sum(0))


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "identity"])
def test_fast_kernels_match_core_vjp(name):
    """The in-place NumPy kernels agree with the core activation's forward and vjp."""
    fast = Activation(name)
    fast.inplace = True
    z = RNG.normal(size=(6, 5))
    g = RNG.normal(size=(6, 5))
    core = fast.activation
    y = fast.forward(z.copy(), training=True)
    np.testing.assert_allclose(y, core(z), rtol=1e-14)
    np.testing.assert_allclose(fast.backward(g.copy()), core.vjp(z, core(z), g), rtol=1e-12)


def test_dropout_inverted_scaling_and_backward():
    layer = Dropout(0.25, seed=0)
    x = np.ones((400, 50))
    y = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01          # 20,000 Bernoulli(0.75) draws: SE 0.003
    np.testing.assert_allclose(y[kept], 1 / 0.75)  # inverted: E[y] = x
    g = np.full_like(x, 2.0)
    np.testing.assert_allclose(layer.backward(g.copy()), 2.0 * y)
    assert layer.forward(x, training=False) is x
    with pytest.raises(ValueError, match="1.5"):
        Dropout(1.5)


def test_dropout_network_trains_and_predicts_deterministically():
    net = build_network(3, (8,), 1, dropout=0.5, random_state=0)
    a, b = net.predict_eta(X.astype(np.float32)), net.predict_eta(X.astype(np.float32))
    np.testing.assert_array_equal(a, b)


def test_to_dict_json_round_trip_and_errors():
    net = build_network(3, (5, 4), 2, activation=["tanh", "leaky_relu"], dropout=[0.1, 0.0],
                        random_state=0)
    data = json.loads(json.dumps(net.to_dict(as_lists=True)))
    back = Sequential.from_dict(data)
    Xf = X.astype(np.float32)
    np.testing.assert_array_equal(back.predict_eta(Xf), net.predict_eta(Xf))
    assert back.spec() == net.spec()
    with pytest.raises(ValueError, match="version"):
        Sequential.from_dict({**data, "version": 99})
    with pytest.raises(ValueError, match="layer 0"):
        net.set_weights([np.zeros((2, 2))] + net.coefs_[1:], net.intercepts_)
    with pytest.raises(ValueError, match="do not chain"):
        Sequential([Dense(3, 4), Dense(5, 1)])


def test_initialiser_choice():
    acts = ["relu", "tanh", "selu"]
    # default (= "auto"): matched to each activation; Glorot for the linear output layer
    for init in (None, "auto"):
        net = build_network(3, (4, 4, 4), 1, activation=acts, init=init)
        assert [d.init for d in net.dense] == ["he", "glorot", "lecun", "glorot"]
    glorot = build_network(3, (4, 4, 4), 1, activation=acts, init="glorot")
    assert {d.init for d in glorot.dense} == {"glorot"}
    assert {d.init for d in build_network(3, (4,), 1, init="torch").dense} == {"torch"}


def test_default_parameter_distribution():
    """Default weights of a ReLU network: He for the hidden layer (Var = 2/n_in), Glorot uniform
    U(+-sqrt(6/(n_in+n_out))) for the output (Var = 2/(n_in+n_out)); biases U(+-1/sqrt(n_in)):
    Var = 1/(3 n_in)."""
    net = build_network(400, (300,), 200, dtype="float64", random_state=3)
    hidden, out = net.dense
    assert abs(hidden.W.var() / (2 / hidden.n_in) - 1) < 0.02
    bound = np.sqrt(6 / (out.n_in + out.n_out))
    assert np.abs(out.W).max() <= bound
    assert abs(out.W.var() / (2 / (out.n_in + out.n_out)) - 1) < 0.02
    for d in net.dense:
        var, bound = 1 / (3 * d.n_in), 1 / np.sqrt(d.n_in)
        # 300 or 200 biases: the sample variance of a uniform has SD ~ var * 0.9 / sqrt(n)
        assert np.abs(d.b).max() <= bound and abs(d.b.var() / var - 1) < 0.25


def test_array_api_strict_matches_numpy():
    """The same network and data on array_api_strict give NumPy's eta, gradients and penalty."""
    net_np = build_network(3, (5,), 2, activation="gelu", dtype="float64", random_state=0)
    net_x = Sequential.from_dict(net_np.to_dict(), xp=xps)
    from reglab.nn import Trainer

    Y = _targets("categorical", k=2)
    for net, xin, yin in ((net_np, X, Y), (net_x, xps.asarray(X), xps.asarray(Y))):
        Trainer(net, loss="categorical", alpha=0.1).loss_and_gradient(xin, yin)
    np.testing.assert_allclose(to_numpy(net_x.forward(xps.asarray(X))), net_np.forward(X),
                               rtol=1e-12)
    np.testing.assert_allclose(net_x.get_flat_grad(), net_np.get_flat_grad(), rtol=1e-10)
    assert np.isclose(net_x.penalty(0.1), net_np.penalty(0.1), rtol=1e-12)


def test_prediction_between_forward_and_backward_leaves_gradients_intact():
    from reglab.nn import Trainer

    Xf = X.astype(np.float32)
    y = _targets("gaussian").astype(np.float32)
    net = build_network(3, (5, 4), 1, activation="relu", random_state=0)
    trainer = Trainer(net, loss="gaussian")
    trainer._backprop(Xf, y, None, True)
    expected = net.get_flat_grad()
    eta = net.forward(Xf, training=True)
    net.predict_eta(np.ones((7, 3), np.float32))      # e.g. the playground drawing its grid
    net.hidden_activations(np.ones((7, 3), np.float32))
    g = trainer.head.gradient_hessian(y, eta[:, 0])[0] / 9
    net.backward(g.reshape(-1, 1).astype(np.float32))
    np.testing.assert_allclose(net.get_flat_grad(), expected, rtol=1e-6)
