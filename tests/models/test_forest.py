"""Random forest shells: max_nodes mapping, bad input, hooks, scikit-learn estimator checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import ensemble
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.models.forest import RandomForestClassifier, RandomForestRegressor


def _data(rng, n=200):
    X = rng.uniform(-1, 1, size=(n, 3))
    y = np.sin(3 * X[:, 0]) + 0.5 * X[:, 1] + 0.1 * rng.normal(size=n)
    return X, y


def _expected_failures(estimator):
    # Bootstrap resampling draws rows, so a row of weight 2 is not the same as a duplicated row
    # (scikit-learn lists the same expected failure for its own forests).
    reason = "bootstrap draws rows: weight 2 is not a repeated row (as for sklearn's forests)"
    return {"check_sample_weight_equivalence_on_dense_data": reason}


@parametrize_with_checks([RandomForestRegressor(n_estimators=5, random_state=0),
                          RandomForestClassifier(n_estimators=5, max_nodes=6, random_state=0)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_same_predictions_as_sklearn_forest(rng):
    X, y = _data(rng)
    ours = RandomForestRegressor(n_estimators=20, max_nodes=8, random_state=3).fit(X, y)
    ref = ensemble.RandomForestRegressor(n_estimators=20, max_leaf_nodes=8, max_features=1.0,
                                         random_state=3).fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert all(t.get_n_leaves() <= 8 for t in ours.forest_.estimators_)


def test_max_nodes_one_gives_bootstrap_means(rng):
    X, y = _data(rng)
    m = RandomForestRegressor(n_estimators=10, max_nodes=1, random_state=0).fit(X, y)
    assert all(t.get_n_leaves() == 1 for t in m.forest_.estimators_)
    pred = m.predict(X)
    # Every tree predicts its bootstrap sample's mean, so the forest is constant, near mean(y).
    np.testing.assert_allclose(pred, pred[0], rtol=0, atol=1e-12)
    assert abs(pred[0] - y.mean()) < 3 * y.std() / np.sqrt(len(y))


def test_more_nodes_fit_training_data_better(rng):
    X, y = _data(rng, n=400)
    mse = [np.mean((RandomForestRegressor(n_estimators=20, max_nodes=m, random_state=0)
                    .fit(X, y).predict(X) - y) ** 2) for m in (1, 2, 5, 50, None)]
    assert all(a > b for a, b in zip(mse, mse[1:])), mse


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_bad_max_nodes_raises_and_names_value(rng, bad):
    X, y = _data(rng, n=30)
    with pytest.raises(ValueError, match="max_nodes"):
        RandomForestRegressor(n_estimators=3, max_nodes=bad).fit(X, y)


def test_nan_names_column_and_row_and_failed_fit_leaves_model(rng):
    X, y = _data(rng, n=50)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    m = RandomForestRegressor(n_estimators=5, random_state=0).fit(df, y)
    before = m.predict(df)
    bad = df.copy()
    bad.iloc[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"column 'b'.*row 7"):
        m.fit(bad, y)
    np.testing.assert_array_equal(m.predict(df), before)
    assert list(m.feature_names_in_) == ["a", "b", "c"]
    ybad = y.copy()
    ybad[4] = np.inf
    with pytest.raises(ValueError, match=r"'y'.*row 4"):
        RandomForestRegressor(n_estimators=3).fit(X, ybad)


def test_classifier_probabilities_and_names(rng):
    X, _ = _data(rng)
    y = np.where(X[:, 0] > 0, "up", "down")
    m = RandomForestClassifier(n_estimators=20, max_nodes=4, random_state=0).fit(X, y)
    assert list(m.classes_) == ["down", "up"]
    p = m.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.mean(m.predict(X) == y) > 0.95
    assert m.feature_names_ == ["x0", "x1", "x2"]


def test_partial_dependence_tracks_the_signal(rng):
    X, y = _data(rng, n=400)
    m = RandomForestRegressor(n_estimators=30, random_state=0).fit(X, y)
    pd0 = m.partial_dependence(X, 0, grid_resolution=20)
    pd2 = m.partial_dependence(X, "x2", grid_resolution=20)
    assert pd0["x"].shape == pd0["fit"].shape == (20,)
    # x0 drives y through sin(3 x0) (range ~2); x2 is noise (flat partial dependence).
    assert np.ptp(pd0["fit"]) > 1.2 and np.ptp(pd2["fit"]) < 0.3
    with pytest.raises(ValueError, match="nope"):
        m.partial_dependence(X, "nope")


def test_plot_draws_one_axis_per_feature(rng):
    import matplotlib

    matplotlib.use("Agg")
    X, y = _data(rng, n=100)
    m = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
    axes = m.plot(X, features=[0, 1])
    assert len(axes) == 2 and axes[0].get_xlabel() == "x0" and len(axes[1].lines) == 1


def test_forests_round_trip_as_data(tmp_path):
    # every tree's node arrays and values saved as arrays + JSON; the loaded forest predicts
    # exactly the same (regression means, class labels, probabilities, partial dependence)
    from reglab.io import load_model, save_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = X.a + np.sin(X.b) + rng.normal(0, 0.1, 300)
    reg = RandomForestRegressor(20, random_state=0, oob_score=True).fit(X, y)
    back = load_model(save_model(reg, tmp_path / "r.reglab", X_check=X)).model
    np.testing.assert_array_equal(back.predict(X), reg.predict(X))
    assert back.oob_score_ == reg.oob_score_ and back.feature_names_ == ["a", "b", "c"]
    np.testing.assert_array_equal(back.partial_dependence(X, "b")["fit"],
                                  reg.partial_dependence(X, "b")["fit"])
    labels = np.where(X.a > 0, "hi", np.where(X.b > 0, "mid", "lo"))
    clf = RandomForestClassifier(15, random_state=0, max_nodes=8).fit(X, labels)
    back = load_model(save_model(clf, tmp_path / "c", X_check=X)).model
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.classes_.tolist() == ["hi", "lo", "mid"]
    stump = RandomForestRegressor(5, max_nodes=1, random_state=0).fit(X, y)  # one leaf each
    back = load_model(save_model(stump, tmp_path / "s.zip", X_check=X)).model
    np.testing.assert_array_equal(back.predict(X), stump.predict(X))


def test_forest_with_another_node_layout_is_refused():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 2))
    d = RandomForestRegressor(3, random_state=0).fit(X, X[:, 0]).to_dict()
    d["node_fields"] = d["node_fields"][:-1]  # as if written by a scikit-learn without a field
    with pytest.raises(ValueError, match="cannot be rebuilt by scikit-learn"):
        RandomForestRegressor.from_dict(d)


def test_max_samples_subsamples_each_tree_and_round_trips(tmp_path):
    """``max_samples`` (R's sampsize) reaches scikit-learn's forest: the same predictions as
    sklearn with the same seed, and a saved model keeps it."""
    from sklearn.ensemble import RandomForestRegressor as SkForest

    from reglab.io import load_model, save_model
    from reglab.models.forest import RandomForestRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = X[:, 0] + rng.normal(size=400)
    rf = RandomForestRegressor(n_estimators=20, max_samples=0.25, random_state=0).fit(X, y)
    sk = SkForest(n_estimators=20, max_samples=0.25, random_state=0).fit(X, y)
    np.testing.assert_array_equal(rf.predict(X), sk.predict(X))
    assert rf.forest_.estimators_[0].tree_.weighted_n_node_samples[0] == 100  # 25% of 400
    save_model(rf, tmp_path / "rf.reglab", X_check=X)
    back = load_model(tmp_path / "rf.reglab").model
    assert back.max_samples == 0.25
    np.testing.assert_array_equal(back.predict(X), rf.predict(X))
