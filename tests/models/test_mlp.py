"""MLPRegressor / MLPClassifier: scikit-learn compatibility, learning, state, serialisation."""

import json
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.models.mlp import MLPClassifier, MLPRegressor
from reglab.nn import DivergenceError

# Small networks and few epochs keep the ~170 checks fast. One expected failure each:
# check_sample_weight_equivalence_on_dense_data asks that a weight-0 row equals a deleted row and
# weight 2 equals a repeated row. Mini-batch SGD cannot satisfy it: deleting or repeating rows
# changes the batch boundaries and the shuffled order, so the optimisation path differs (the
# objective itself is weighted correctly: test_weights_equal_repeated_rows_full_batch checks it
# with a deterministic full-batch optimizer).
_SW_XFAIL = {"check_sample_weight_equivalence_on_dense_data":
             "mini-batch order and boundaries change when rows are removed or repeated"}


@parametrize_with_checks(
    [MLPRegressor((8,), max_iter=50, learning_rate=0.02, random_state=0),
     MLPClassifier((8,), max_iter=30, learning_rate=0.01, random_state=0)],
    expected_failed_checks=lambda est: _SW_XFAIL)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_sin_rmse_below_005():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (400, 1))
    y = np.sin(X[:, 0])
    m = MLPRegressor((32, 32), activation="tanh", learning_rate=0.01, batch_size=32,
                     max_iter=300, random_state=0).fit(X, y)
    grid = np.linspace(-3, 3, 200)[:, None]
    rmse = np.sqrt(np.mean((m.predict(grid) - np.sin(grid[:, 0])) ** 2))
    assert rmse < 0.05, rmse


@pytest.mark.slow
def test_digits_at_least_sklearn_accuracy():
    """Same architecture, optimizer, batch size and epochs as sklearn's MLPClassifier; test
    accuracy averaged over two seeds (one seed's accuracy moves by +-1% with the seed)."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    perm = np.random.default_rng(0).permutation(len(y))
    tr, te = perm[:1300], perm[1300:]
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for seed in (0, 1):
            kw = dict(hidden_layer_sizes=(64,), batch_size=64, max_iter=40, random_state=seed)
            ours.append(MLPClassifier(learning_rate=1e-3, **kw).fit(X[tr], y[tr]).score(
                X[te], y[te]))
            theirs.append(SkMLP(learning_rate_init=1e-3, n_iter_no_change=1000, **kw).fit(
                X[tr], y[tr]).score(X[te], y[te]))
    assert np.mean(ours) >= np.mean(theirs), (ours, theirs)
    assert min(ours) > 0.96


def test_string_labels_multiclass_proba_and_hidden_activations():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 2))
    y = np.array(["a", "b", "c"])[np.argmax(X @ [[1, -1, 0], [0, 1, -1]], axis=1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = MLPClassifier((16,), learning_rate=0.02, max_iter=100, random_state=0).fit(X, y)
    assert m.classes_.tolist() == ["a", "b", "c"] and m.score(X, y) > 0.9
    p = m.predict_proba(X)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(p), m.predict_log_proba(X), atol=1e-6)
    assert [a.shape for a in m.hidden_activations(X[:5])] == [(5, 16)]
    assert [c.shape for c in m.coefs_] == [(2, 16), (16, 3)]


def test_partial_fit_is_one_epoch_and_warm_start_keeps_optimizer_state():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3))
    y = X[:, 0] - X[:, 1]
    m = MLPRegressor((8,), batch_size=20, random_state=0)
    m.partial_fit(X, y)
    m.partial_fit(X, y)
    assert m.n_iter_ == 2 and len(m.loss_curve_) == 2
    assert m._trainer.opt_state[0]["count"] == 10           # 2 epochs x 5 batches of Adam
    w = MLPRegressor((8,), batch_size=20, max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w.fit(X, y)
        coefs = w.coefs_[0].copy()
        w.fit(X, y)
    assert w.n_iter_ == 6 and w._trainer.opt_state[0]["count"] == 30
    assert not np.array_equal(coefs, w.coefs_[0])


def test_early_stopping_keeps_best_validation_weights():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 8))
    y = X[:, 0] + rng.normal(0, 1.0, 120)
    m = MLPRegressor((64,), learning_rate=0.01, batch_size=10, max_iter=300, early_stopping=True,
                     n_iter_no_change=5, random_state=0).fit(X, y)
    vals = [h["val_loss"] for h in m.history_]
    assert m.n_iter_ < 300 and vals[-1] > min(vals)
    assert len(m.validation_scores_) == m.n_iter_


def test_divergence_raises_and_keeps_finite_weights():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(64, 3)) * 100
    y = rng.normal(size=64) * 1e4
    m = MLPRegressor((8,), optimizer="sgd", learning_rate=50.0, batch_size=8, random_state=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+"):
        m.fit(X, y)
    assert all(np.isfinite(c).all() for c in m.coefs_)


def test_poisson_family_fits_log_rate():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (2000, 1))
    y = rng.poisson(np.exp(1.0 + X[:, 0]))
    m = MLPRegressor((8,), family="poisson", learning_rate=0.01, batch_size=50, max_iter=60,
                     random_state=0).fit(X, y)
    grid = np.array([[-0.5], [0.0], [0.5]])
    np.testing.assert_allclose(m.predict(grid), np.exp(1.0 + grid[:, 0]), rtol=0.1)


def test_weights_equal_repeated_rows_full_batch():
    """Weight 2 on a row = that row twice, for the deterministic full-batch L-BFGS."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30, 2))
    y = X[:, 0] ** 2 + rng.normal(0, 0.1, 30)
    sw = np.ones(30)
    sw[:10] = 2.0
    kw = dict(hidden_layer_sizes=(5,), optimizer="lbfgs", max_iter=50, dtype="float64",
              random_state=0, activation="tanh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPRegressor(**kw).fit(X, y, sample_weight=sw)
        b = MLPRegressor(**kw).fit(np.vstack([X, X[:10]]), np.concatenate([y, y[:10]]))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-7, atol=1e-9)


def test_to_dict_json_round_trip():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    m = MLPClassifier((6, 4), activation=["tanh", "relu"], max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(X, y)
    back = MLPClassifier.from_dict(json.loads(json.dumps(m.to_dict(as_lists=True))))
    np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))
    assert back.get_params() == m.get_params()
    with pytest.raises(ValueError, match="MLPClassifier"):
        MLPRegressor.from_dict(m.to_dict())


def test_bad_input_is_named_and_leaves_estimator_unchanged():
    X = np.random.default_rng(8).normal(size=(20, 2))
    m = MLPRegressor((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m.fit(X, X[:, 0])
    before = m.coefs_
    y = X[:, 0].copy()
    y[7] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        m.fit(X, y)
    with pytest.raises(ValueError, match="poisson"):
        MLPRegressor(family="poisson").fit(X, -np.ones(20))
    with pytest.raises(ValueError, match="'z'"):
        MLPClassifier().partial_fit(X, ["a"] * 10 + ["b"] * 10).partial_fit(X, ["z"] * 20)
    for a, b in zip(before, m.coefs_):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_when_verbose(capsys):
    X = np.random.default_rng(9).normal(size=(20, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor((3,), max_iter=2, verbose=True).fit(X, X[:, 0])
        assert "epoch 2/2" in capsys.readouterr().err
        MLPRegressor((3,), max_iter=2, verbose=False).fit(X, X[:, 0])
    assert capsys.readouterr().err == ""


def test_model_file_round_trip_with_family_object(tmp_path):
    """reglab.io stores the weights as exact .npy arrays and a Family object as its dict."""
    from reglab.core.families import get_family
    from reglab.io import load_model, save_model

    rng = np.random.default_rng(10)
    X = rng.normal(size=(80, 2))
    y = rng.poisson(np.exp(0.5 + X[:, 0]))
    fam = get_family("negative_binomial", alpha=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = MLPRegressor((5,), family=fam, max_iter=5, random_state=0).fit(X, y)
    data = m.to_dict()
    assert data["network"]["coefs"][0].dtype == np.float32
    assert data["params"]["family"] == fam.to_dict()
    path = save_model(m, tmp_path / "nb.reglab", X_check=X)
    back = load_model(path).model
    np.testing.assert_array_equal(back.predict(X), m.predict(X))
    assert back.get_params()["family"] == fam.to_dict()


def test_zero_weight_batches_and_bad_weights():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(128, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=128)
    sw = np.ones(128)
    sw[:64] = 0.0                       # the whole first batch (no shuffling) weighs nothing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = MLPRegressor((4,), batch_size=64, shuffle=False, max_iter=3, random_state=0)
        m.fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(m.loss_curve_))
    with pytest.raises(ValueError, match="(?i)negative"):
        MLPRegressor().fit(X, y, sample_weight=-sw)
    with pytest.raises(ValueError, match="non-zero"):
        MLPRegressor().fit(X, y, sample_weight=np.zeros(128))


def test_init_parameter_reaches_the_network():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X[:, 0] > 0
    nets = {init: MLPClassifier((4,), init=init, max_iter=1, random_state=0).fit(X, y).network_
            for init in (None, "auto", "torch")}
    assert [d.init for d in nets[None].dense] == ["he", "glorot"]
    assert [d.init for d in nets["auto"].dense] == ["he", "glorot"]
    assert [d.init for d in nets["torch"].dense] == ["torch", "torch"]
    with pytest.raises(ValueError, match="'orthogonal'"):
        MLPClassifier((4,), init="orthogonal").fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_summary_lists_layers_parameters_and_the_loss_curve():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = np.array(["a", "b", "c"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    clf = MLPClassifier((16, 8), activation=["relu", "tanh"], max_iter=25, early_stopping=True,
                        dropout=[0.0, 0.2], random_state=0).fit(X, y)
    text = clf.summary()
    # parameter counts: 3*16+16, 16*8+8, 8*3+3, total 227
    for line in ("3 inputs -> 3 outputs, family categorical", "classes: a, b, c",
                 "3 -> 16 relu", "16 -> 8 tanh", "rate 0.2", "8 -> 3 (output)", "227",
                 "25 epochs run in all (max_iter 25 per fit)"):
        assert line in text, (line, text)
    best = int(np.argmin(clf.loss_curve_))
    assert f"best {clf.loss_curve_[best]:.6g} (epoch {best + 1})" in text
    val = [h["val_loss"] for h in clf.history_]
    assert f"validation loss: best {min(val):.6g} at epoch {int(np.argmin(val)) + 1}" in text
    assert "validation accuracy" in text
    reg = MLPRegressor((4,), family="poisson", max_iter=3, random_state=0).fit(
        X, rng.poisson(np.exp(X[:, 0])))
    assert "family poisson (log link)" in reg.summary() and "validation" not in reg.summary()
    lb = MLPRegressor((4,), optimizer="lbfgs", max_iter=7, random_state=0).fit(X, X[:, 0])
    assert f"lbfgs (full batch), alpha 0; {lb.n_iter_} iteration" in lb.summary()
    assert "learning_rate" not in lb.summary()
    # a reloaded model (no history) still summarises its loss curve
    again = MLPRegressor.from_dict(json.loads(json.dumps(reg.to_dict(as_lists=True))))
    assert again.summary() == reg.summary()
