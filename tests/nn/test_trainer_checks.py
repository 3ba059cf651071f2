"""Trainer input checks (learning rate, X/y shapes) and the logged learning rate."""

import numpy as np
import pytest

from reglab.core import optimizers as O
from reglab.nn import Trainer, build_network

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 2))
Y = 2 * X[:, 0] + 1
LAB = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0)


def _trainer(n_out=1, loss="gaussian", **kw):
    net = build_network(2, (8,), n_out, activation="tanh", random_state=0, dtype="float64")
    return Trainer(net, loss=loss, learning_rate=0.01, batch_size=16, random_state=0, **kw)


@pytest.mark.parametrize("lr", [-0.1, 0, "adaptive"])
def test_learning_rate_must_be_positive_or_a_schedule(lr):
    with pytest.raises(ValueError) as err:
        Trainer(build_network(2, (4,), 1), learning_rate=lr)
    assert str(err.value) == ("learning_rate must be a number > 0 or a schedule (a function of "
                              f"the step count), got {lr!r}")
    Trainer(build_network(2, (4,), 1), learning_rate=O.cosine_decay(0.01, 100))


@pytest.mark.parametrize("args, msg", [
    (dict(X=X[:, 0]), "X must be 2-D (n_samples, 2), got shape (64,)"),
    (dict(X=np.c_[X, X]), "X has 4 columns but the network takes 2 inputs (X shape (64, 4))"),
    (dict(y=Y[:-1]), "X has 64 rows but y has 63 (X shape (64, 2), y shape (63,))"),
    (dict(y=Y[:, None]), "y must have shape (64,) for a network with 1 output and the gaussian "
                         "loss, got (64, 1) (use y.ravel())"),
    (dict(sample_weight=np.ones(63)), "sample_weight must have shape (64,) like X's rows, got "
                                      "(63,)"),
    (dict(y=np.eye(3)[LAB], loss="categorical"),
     "categorical y must be integer labels (64,) or one-hot (64, 1) for a network with 1 "
     "output, got shape (64, 3)"),
    (dict(y=LAB + 1, loss="categorical", n_out=3),
     "categorical label y[1] = 3 is not a class of a network with 3 outputs (labels 0..2)"),
    (dict(y=Y, n_out=2), "y must have shape (64, 2) for a network with 2 outputs and the "
                         "gaussian loss, got (64,)"),
])
def test_shapes_are_checked_naming_them(args, msg):
    args = dict(args)
    t = _trainer(args.pop("n_out", 1), args.pop("loss", "gaussian"))
    data = dict(X=X, y=Y, sample_weight=None, **{})
    data.update(args)
    for call in (lambda: t.fit(data["X"], data["y"], data["sample_weight"], epochs=1),
                 lambda: t.train_batches(data["X"], data["y"], data["sample_weight"]),
                 lambda: t.step(data["X"], data["y"], data["sample_weight"]),
                 lambda: t.evaluate(data["X"], data["y"], data["sample_weight"])):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == msg
    # the same bad arrays as validation data, next to good training data: refused before the
    # first epoch, and named as the validation data
    k = t.network.n_out
    good_y = (LAB % k if t.head.name == "categorical" else Y if k == 1
              else np.column_stack([Y] * k))
    with pytest.raises(ValueError) as err:
        t.fit(X, good_y, epochs=1, validation_data=(data["X"], data["y"], data["sample_weight"]))
    assert str(err.value) == "validation_data: " + msg
    assert t.epoch == 0


def test_integer_labels_equal_one_hot_bitwise():
    a, b = _trainer(3, "categorical"), _trainer(3, "categorical")
    ha = a.fit(X, LAB, epochs=3)
    hb = b.fit(X, np.eye(3)[LAB], epochs=3)
    assert [h["loss"] for h in ha] == [h["loss"] for h in hb]
    np.testing.assert_array_equal(a.network.get_flat(), b.network.get_flat())


def test_logged_lr_includes_the_reduce_on_plateau_scale():
    """Full-batch SGD makes one update per epoch, theta_k = theta_{k-1} - lr_k g(theta_{k-1}):
    the step actually taken, lr_k = -(dtheta . g) / (g . g), must equal the logged lr (to 1e-9
    relative), and the plateau halves it (1e-6 tiny: the loss barely moves, so it plateaus)."""
    net = build_network(2, (4,), 1, activation="tanh", random_state=0, dtype="float64")
    t = Trainer(net, loss="gaussian", optimizer="sgd", learning_rate=1e-6, batch_size=64,
                shuffle=False, plateau=dict(factor=0.5, patience=2))
    probe = Trainer(build_network(2, (4,), 1, activation="tanh", dtype="float64"),
                    loss="gaussian", optimizer="sgd")
    measured, logged = [], []
    for _ in range(10):
        before = net.get_flat()
        probe.network.set_flat(before)
        probe.loss_and_gradient(X, Y)
        g = probe.network.get_flat_grad()
        t.fit(X, Y, epochs=1)
        measured.append(-(net.get_flat() - before) @ g / (g @ g))
        logged.append(t.history[-1]["lr"])
    np.testing.assert_allclose(logged, measured, rtol=1e-9)
    assert logged[0] == 1e-6 and min(logged) <= 2.5e-7  # the scale fell at least twice
