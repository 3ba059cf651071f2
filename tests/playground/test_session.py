"""Session state: epochs, the per-frame time budget, failed changes leaving state untouched."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reglab.playground.protocol import ProtocolError, parse_config
from reglab.playground.session import Session, TrainingDiverged
from reglab.playground.userdata import parse_csv, parse_points


def _session(**cfg):
    s = Session("t")
    s.configure(parse_config({"dataset": "xor", "n_samples": 200, "batch_size": 10, **cfg}))
    return s


def test_play_frames_never_cross_an_epoch_and_add_up_to_epochs():
    s = _session()
    epochs = [s.model.epoch]
    for _ in range(30):
        s.play_frame(budget_s=0.0)  # the smallest chunk: one mini-batch per frame
        epochs.append(s.model.epoch)
    steps = np.diff(epochs)
    assert set(steps) <= {0, 1}
    # 100 training points / batch 10 = 10 updates per epoch, 1 per frame: epochs end at frames
    # 10, 20, 30 exactly.
    assert [i for i, d in enumerate(steps, 1) if d] == [10, 20, 30]


def test_step_finishes_the_current_epoch():
    s = _session()
    s.play_frame(budget_s=0.0)
    assert s.model.epoch == 0
    frame = s.advance(1)
    assert frame["epoch"] == 1 and s.model.epoch == 1


def test_frame_contents_match_the_model():
    s = _session(layers=[3], activations=["relu"], features=["x1", "x2", "x1x2"])
    f = s.frame()
    Ws, bs = s.model.weights()
    np.testing.assert_allclose(np.array(f["weights"][0]), np.round(Ws[0], 4))
    assert len(f["neurons"]) == 1 and len(f["neurons"][0]) == 3
    mu = s.model.predict(s.data.Z_test)
    assert f["test_loss"] == pytest.approx(s.model.loss(s.data.y_test, mu))
    acc = np.mean((mu > 0.5) == s.data.y_test)
    assert f["test_accuracy"] == pytest.approx(acc)


def test_failed_changes_leave_the_session_unchanged():
    s = _session()
    before = (s.config, s.data, s.model, s.generation)
    with pytest.raises(ProtocolError):
        s.configure(parse_config({"dataset": "custom"}, custom_available=True))
    assert (s.config, s.data, s.model, s.generation) == before


def test_user_points_become_the_custom_dataset():
    s = _session()
    pts = [[-3, -3, 0], [3, 3, 1], [-3, 3, 2], [3, -3, 2], [0, 0, 1]]
    s.set_user_data(parse_points(pts, "multiclass"))
    assert s.config.dataset == "custom" and s.data.problem == "multiclass"
    assert s.data_message()["n_classes"] == 3
    assert len(s.frame()["output"]["maps"]) == 3
    assert s.data_message()["target_scale"] is None and s.data_message()["notice"] == ""


def test_uploaded_regression_target_sends_its_scale_and_notice():
    s = _session()
    s.set_user_data(parse_csv("a,b,count\n" + "\n".join(f"{i},{i * i % 7},{3 * i}"
                                                            for i in range(10))))
    msg = s.data_message()
    assert msg["problem"] == "regression"
    assert msg["target_scale"] == {"name": "count", "range": [0.0, 27.0]}
    assert msg["notice"].startswith("column 'count' has 10 distinct integers")
    # a built-in data set after the upload: no scale, no notice
    s.configure(replace(s.config, dataset="circle"))
    assert s.data_message()["target_scale"] is None and s.data_message()["notice"] == ""


def test_divergence_keeps_the_last_good_weights():
    s = _session(dataset="plane", layers=[8, 8], activations=["relu", "relu"],
                 features=["x1", "x2", "x1sq", "x2sq", "x1x2"], learning_rate=10.0,
                 batch_size=1)
    for _ in range(10):
        Ws = [W.copy() for W in s.model.weights()[0]]
        try:
            s.advance(1)
        except TrainingDiverged as err:
            assert "diverged" in str(err)
            for W, W0 in zip(s.model.weights()[0], Ws):
                np.testing.assert_array_equal(W, W0)
            assert np.isfinite(s.frame()["train_loss"])
            return
    pytest.fail("a step of 10 on unscaled squares was expected to diverge")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
def test_every_optimizer_and_penalty_trains(optimizer, regularization):
    s = _session(optimizer=optimizer, regularization=regularization, reg_rate=0.01,
                 dropout=0.2, learning_rate=0.03)
    before = s.frame()["train_loss"]
    after = [s.advance(1)["train_loss"] for _ in range(3)][-1]
    assert np.isfinite(after) and after != before


def test_every_registered_activation_trains_one_layer_each():
    from reglab.core.activations import ACTIVATIONS

    for name in ACTIVATIONS:
        s = _session(layers=[4, 3], activations=[name, "tanh"])
        f = s.advance(1)
        assert f["epoch"] == 1 and np.isfinite(f["train_loss"]), name
        assert [len(layer) for layer in f["neurons"]] == [4, 3]
