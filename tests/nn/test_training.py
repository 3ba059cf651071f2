"""The training loop: learning, batching, callbacks, early stopping, divergence, L-BFGS."""

import numpy as np
import pytest

from reglab.core import optimizers as O
from reglab.nn import (
    Callback,
    DivergenceError,
    EarlyStopping,
    LambdaCallback,
    Trainer,
    build_network,
    fit_lbfgs,
)


def spiral(n_per_class=100, seed=0):
    """Two interleaved spirals (noise 0.05): not linearly separable."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0, 1, n_per_class)) * 3 * np.pi
    a = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (3 * np.pi)
    X = np.vstack([a, -a]) + rng.normal(0, 0.02, (2 * n_per_class, 2))
    y = np.repeat([0.0, 1.0], n_per_class)
    return X.astype(np.float32), y.astype(np.float32)


def test_spiral_reaches_97_percent():
    X, y = spiral()
    net = build_network(2, (32, 32), 1, activation="tanh", random_state=0)
    trainer = Trainer(net, loss="binomial", learning_rate=0.01, batch_size=32, random_state=0)
    trainer.fit(X, y, epochs=120)
    acc = np.mean((net.predict_eta(X)[:, 0] > 0) == (y == 1))
    assert acc >= 0.97, acc
    assert len(trainer.history) == 120 and trainer.history[-1]["loss"] < 0.1


def test_train_batches_keeps_its_place():
    X, y = spiral(50)
    net = build_network(2, (4,), 1, random_state=0)
    trainer = Trainer(net, loss="binomial", batch_size=30, random_state=0)  # 100 rows: 4 batches
    trainer.train_batches(X, y, n_batches=3)
    assert trainer.epoch == 0
    trainer.train_batches(X, y, n_batches=2)      # the 4th batch ends epoch 1
    assert trainer.epoch == 1
    trainer.train_batches(X, y)                   # a whole epoch (4 batches)
    assert trainer.epoch == 2


def test_full_batch_gd_step_is_exact():
    """One SGD step with batch = all rows moves theta by exactly -lr * gradient."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    net = build_network(3, (4,), 1, activation="tanh", dtype="float64", random_state=0)
    trainer = Trainer(net, loss="gaussian", optimizer="sgd", learning_rate=0.1, batch_size=20,
                      shuffle=False, alpha=0.01)
    theta0 = net.get_flat()
    trainer.loss_and_gradient(X, y)
    grad = net.get_flat_grad()
    trainer.train_batches(X, y, n_batches=1)
    np.testing.assert_allclose(net.get_flat(), theta0 - 0.1 * grad, rtol=1e-13)


def test_callbacks_per_batch_and_per_epoch_and_stop():
    X, y = spiral(50)
    net = build_network(2, (4,), 1, random_state=0)
    batches, epochs = [], []
    cb = LambdaCallback(on_batch_end=lambda tr, i, loss: batches.append(loss),
                        on_epoch_end=lambda tr, logs: epochs.append(logs) or len(epochs) == 3)
    Trainer(net, loss="binomial", batch_size=25, callbacks=[cb]).fit(X, y, epochs=10)
    assert len(epochs) == 3 and len(batches) == 12
    assert {"epoch", "loss", "lr", "time"} <= set(epochs[0])


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = (X[:, 0] + rng.normal(0, 1.0, 60)).astype(np.float32)
    Xv = rng.normal(size=(60, 5)).astype(np.float32)
    yv = (Xv[:, 0] + rng.normal(0, 1.0, 60)).astype(np.float32)
    net = build_network(5, (64,), 1, random_state=0)
    stop = EarlyStopping("val_loss", patience=5)
    trainer = Trainer(net, loss="gaussian", learning_rate=0.01, batch_size=10,
                      callbacks=[stop], random_state=0)
    trainer.fit(X, y, epochs=300, validation_data=(Xv, yv))      # small noisy data: overfits
    assert stop.stopped_epoch is not None and stop.stopped_epoch < 300
    best = min(h["val_loss"] for h in trainer.history)
    assert trainer.history[-1]["val_loss"] > best
    assert np.isclose(trainer.evaluate(Xv, yv), best, rtol=1e-6)


def test_divergence_names_epoch_and_keeps_last_good_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32) * 100
    y = rng.normal(size=64).astype(np.float32) * 1000
    net = build_network(3, (8,), 1, random_state=0)
    # a step size growing 1.2x per step: training diverges in epoch 4 (8 steps per epoch)
    trainer = Trainer(net, loss="gaussian", optimizer="momentum",
                      learning_rate=lambda step: 1e-7 * 1.2**step, batch_size=8, random_state=0)
    good = [(net.get_flat(), _state_arrays(trainer.opt_state))]
    trainer.callbacks = [LambdaCallback(on_epoch_end=lambda t, logs: good.append(
        (net.get_flat(), _state_arrays(t.opt_state))))]
    with pytest.raises(DivergenceError, match="smaller learning rate") as info:
        trainer.fit(X, y, epochs=50)
    # the epochs that ended well (3 with this seed; unseeded shuffling gave 3 or 4); the message
    # names the next one (the old code named the one after it)
    k = len(trainer.history)
    assert k >= 2 and f"diverged in epoch {k + 1}:" in str(info.value)
    assert trainer.epoch == k and len(good) == k + 1
    # weights and optimizer state (the momentum trace, the step count) as after epoch k
    np.testing.assert_array_equal(net.get_flat(), good[-1][0])
    for a, b in zip(_state_arrays(trainer.opt_state), good[-1][1], strict=True):
        np.testing.assert_array_equal(a, b)


def test_divergence_with_a_built_transform_points_at_it():
    # the Trainer's own learning_rate is not used with a transform: the message must not quote it
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 3)), rng.normal(size=32)
    trainer = Trainer(build_network(3, (4,), 1, dtype="float32", random_state=0),
                      loss="gaussian", optimizer=O.adam(1e30), batch_size=8)
    with pytest.raises(DivergenceError, match="learning rate in the optimizer transform passed"):
        trainer.train_batches(X.astype(np.float32), y)


def test_n_batches_must_be_positive():
    X, y = spiral(10)
    trainer = Trainer(build_network(2, (3,), 1, random_state=0), loss="binomial")
    for bad in (0, -2):
        with pytest.raises(ValueError, match=f"n_batches must be a positive .* got {bad}"):
            trainer.train_batches(X, y, n_batches=bad)


def _state_arrays(state) -> list:
    """Every array and number in a (nested) optimizer state, copied, in a fixed order."""
    if isinstance(state, dict):
        return [x for key in sorted(state) for x in _state_arrays(state[key])]
    if isinstance(state, list | tuple):
        return [x for s in state for x in _state_arrays(s)]
    return [np.array(state, copy=True)]


def test_reduce_on_plateau_is_fed_each_epoch():
    X, y = spiral(30)
    net = build_network(2, (4,), 1, random_state=0)
    trainer = Trainer(net, loss="binomial", optimizer="sgd", learning_rate=1e-9,
                      plateau={"factor": 0.5, "patience": 1})
    trainer.fit(X, y, epochs=6)      # lr 1e-9: no progress, so the scale halves every 2 epochs
    assert trainer.opt_state[-1]["scale"] <= 0.25


def test_schedule_drives_learning_rate():
    X, y = spiral(20)
    net = build_network(2, (3,), 1, random_state=0)
    opt = O.chain(O.scale_by_adam(), O.scale_by_learning_rate(O.step_schedule(0.1, 2, 0.5)))
    trainer = Trainer(net, loss="binomial", optimizer=opt, batch_size=40)  # 1 batch per epoch
    trainer.fit(X, y, epochs=4)
    assert [h["lr"] for h in trainer.history] == [0.1, 0.1, 0.05, 0.05]


def test_lbfgs_reaches_a_stationary_point():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    net = build_network(2, (6,), 1, activation="tanh", dtype="float64", random_state=0)
    trainer = Trainer(net, loss="gaussian", alpha=1e-3)
    start = trainer.loss_and_gradient(X, y, training=False)
    g0 = np.linalg.norm(net.get_flat_grad())
    info = fit_lbfgs(trainer, X, y, max_iter=400, tol=1e-8)
    end = trainer.loss_and_gradient(X, y, training=False)
    assert info["converged"], info          # SciPy's own criterion: projected gradient <= tol
    assert np.isclose(end, info["loss"], rtol=1e-12) and end < 0.02 * start
    assert np.linalg.norm(net.get_flat_grad()) < 1e-3 * g0
    assert info["n_iter"] == len(trainer.history)


def test_bad_arguments():
    net = build_network(2, (3,), 1)
    with pytest.raises(ValueError, match="batch_size"):
        Trainer(net, batch_size=0)
    with pytest.raises(ValueError, match="'adamax'"):
        Trainer(net, optimizer="adamax")
    with pytest.raises(ValueError, match="0 samples"):
        Trainer(net).train_batches(np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="val_loss"):
        Trainer(net, callbacks=[EarlyStopping()]).fit(np.zeros((4, 2), np.float32),
                                                      np.zeros(4, np.float32), epochs=2)


def test_callback_base_is_noop():
    cb = Callback()
    assert cb.on_epoch_end(None, {}) is False


def test_training_on_array_api_strict_matches_numpy():
    """The out-of-place array-API path trains to the same weights as the NumPy fast path."""
    import array_api_strict as xps

    from reglab.core._xp import to_numpy
    from reglab.nn import Sequential

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    Y = np.eye(3)[rng.integers(0, 3, 50)]
    net_np = build_network(3, (6,), 3, activation="tanh", dtype="float64", random_state=0)
    net_x = Sequential.from_dict(net_np.to_dict(), xp=xps)
    hist = []
    for net, Xi, Yi in ((net_np, X, Y), (net_x, xps.asarray(X), xps.asarray(Y))):
        tr = Trainer(net, loss="categorical", optimizer="momentum", learning_rate=0.1,
                     batch_size=16, alpha=0.01, random_state=0)
        hist.append(tr.fit(Xi, Yi, epochs=3, validation_data=(Xi, Yi)))
    np.testing.assert_allclose(net_x.get_flat(), net_np.get_flat(), rtol=1e-10)
    assert np.isclose(hist[0][-1]["loss"], hist[1][-1]["loss"], rtol=1e-10)
    assert isinstance(net_x.predict_eta(xps.asarray(X)), type(xps.asarray(X)))
    np.testing.assert_allclose(to_numpy(net_x.predict_eta(xps.asarray(X))),
                               net_np.predict_eta(X), rtol=1e-10)


def test_validation_fraction_holds_out_rows():
    X, y = spiral(50)
    net = build_network(2, (4,), 1, random_state=0)
    trainer = Trainer(net, loss="binomial", batch_size=100, random_state=0)
    hist = trainer.fit(X, y, epochs=2, validation_fraction=0.2,
                       metrics={"acc": lambda yv, eta: float(np.mean((eta[:, 0] > 0) == yv))})
    assert {"val_loss", "val_acc"} <= set(hist[-1])
    assert trainer._n_seen == 80        # trained on the 80 remaining rows
    with pytest.raises(ValueError, match="not both"):
        trainer.fit(X, y, epochs=1, validation_fraction=0.2, validation_data=(X, y))
    with pytest.raises(ValueError, match="validation_fraction"):
        trainer.fit(X, y, epochs=1, validation_fraction=1.5)


def test_batch_gather_equals_fancy_indexing():
    """The reused-buffer gather (ndarray.take, mode="wrap") returns exactly X[idx]."""
    from reglab.nn import Trainer, build_network

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    tr = Trainer(build_network(3, (4,), 1), batch_size=8, random_state=0)
    for _ in range(8):
        idx, _ = tr._next_batch(50)
        np.testing.assert_array_equal(tr._take(X, idx, "X"), X[idx])
