"""An MLP's training record (history_, loss_curve_, n_iter_, best_loss_, validation_scores_)
survives reglab.io files and pickle, and later training appends to it."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from reglab import MLPClassifier, MLPRegressor
from reglab.io import load_model, save_model

RECORD = ("history_", "loss_curve_", "n_iter_", "best_loss_", "validation_scores_")


def _data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 3)), columns=list("abc"))
    return X, X.a - 2 * X.b


def _same_record(a, b):
    for name in RECORD:
        assert getattr(a, name) == getattr(b, name), name
    assert a.summary() == b.summary()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_model_file_keeps_the_record_and_warm_start_continues_it(tmp_path):
    X, y = _data()
    r = MLPRegressor((8,), max_iter=10, learning_rate=0.01, random_state=0,
                     warm_start=True).fit(X, y)
    save_model(r, tmp_path / "r.reglab")
    r2 = load_model(tmp_path / "r.reglab").model
    _same_record(r, r2)
    assert len(r2.history_) == 10
    r2.fit(X, y)  # 10 saved + 10 more epochs
    assert r2.n_iter_ == 20 and len(r2.loss_curve_) == 20 and len(r2.history_) == 20
    assert r2.loss_curve_[:10] == r.loss_curve_
    assert [h["epoch"] for h in r2.history_] == list(range(1, 21))
    assert "20 epochs run in all" in r2.summary()


def test_early_stopping_summary_identical_after_round_trip(tmp_path):
    X, y = _data()
    e = MLPRegressor((8,), max_iter=60, learning_rate=0.01, random_state=0, early_stopping=True,
                     n_iter_no_change=3).fit(X, y)
    assert e.validation_scores_ and "validation loss: best" in e.summary()
    save_model(e, tmp_path / "e.reglab")
    _same_record(e, load_model(tmp_path / "e.reglab").model)
    c = MLPClassifier((5,), max_iter=30, learning_rate=0.01, random_state=0,
                      early_stopping=True, n_iter_no_change=3).fit(X, (y > 0).astype(int))
    _same_record(c, MLPClassifier.from_dict(c.to_dict(as_lists=True)))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_pickle_keeps_the_record_and_partial_fit_continues_it():
    X, y = _data()
    r = MLPRegressor((8,), max_iter=10, learning_rate=0.01, random_state=0,
                     warm_start=True).fit(X, y)
    r3 = pickle.loads(pickle.dumps(r))
    _same_record(r, r3)
    r3.partial_fit(X, y)
    assert r3.n_iter_ == 11 and r3.loss_curve_[:10] == r.loss_curve_
    r3.fit(X, y)  # warm start on the (fresh-optimizer) trainer built by partial_fit
    assert r3.n_iter_ == 21
    # an L-BFGS warm start appends as well
    lb = MLPRegressor((4,), optimizer="lbfgs", max_iter=5, random_state=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lb.fit(X, y)
        n = lb.n_iter_
        lb.fit(X, y)
    assert lb.n_iter_ > n


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_version_1_dict_without_history_still_loads():
    X, y = _data()
    r = MLPRegressor((8,), max_iter=10, learning_rate=0.01, random_state=0).fit(X, y)
    old = r.to_dict()
    del old["history"]
    old["version"] = 1
    r1 = MLPRegressor.from_dict(old)
    assert r1.loss_curve_ == r.loss_curve_ and r1.n_iter_ == 10
    assert r1.best_loss_ == min(r.loss_curve_) and r1.validation_scores_ == []
    assert [h["epoch"] for h in r1.history_] == list(range(1, 11))
    np.testing.assert_array_equal(r1.predict(X), r.predict(X))
    r1.set_params(warm_start=True).fit(X, y)
    assert r1.n_iter_ == 20
    with pytest.raises(ValueError, match="version=3"):
        MLPRegressor.from_dict({**old, "version": 3})
