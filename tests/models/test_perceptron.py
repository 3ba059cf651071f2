"""Rosenblatt's perceptron: the rule by hand, the lecture's crack/doink example, sklearn checks."""

import json

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.models.perceptron import Perceptron


@parametrize_with_checks([Perceptron(max_iter=20, random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 1 epoch, 2 errors
def test_rule_by_hand():
    """Two samples, no shuffling, zero start: every update is w += (y - step(w.x + b)) x."""
    X = np.array([[1.0, 2.0], [2.0, -1.0]])
    y = np.array([0, 1])
    p = Perceptron(max_iter=1, shuffle=False).fit(X, y)
    # sample 1: score 0 -> step 1, target 0: w = -(1, 2), b = -1
    # sample 2: score -2 + 2 - 1 = -1 -> step 0, target 1: w = (1, -3), b = 0
    np.testing.assert_allclose(p.coef_, [1.0, -3.0])
    np.testing.assert_allclose(p.intercept_, [0.0])
    assert p.errors_ == [2]


def test_crack_doink():
    """The lecture: a sentence is happy when #crack + #doink - 3.5 >= 0."""
    counts = np.array([[a, b] for a in range(6) for b in range(6)], dtype=float)
    mood = np.where(counts.sum(1) - 3.5 >= 0, "happy", "sad")
    p = Perceptron(random_state=0, max_iter=200).fit(counts, mood)
    assert p.converged_ and p.errors_[-1] == 0
    np.testing.assert_array_equal(p.predict(counts), mood)
    # the lecture's own weights (1, 1, -3.5) classify the same way
    lecture = np.where(counts @ [1.0, 1.0] - 3.5 >= 0, "happy", "sad")
    np.testing.assert_array_equal(lecture, mood)


def test_multiclass_one_vs_rest_and_round_trip():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 5], [5, 0], [-5, -5]])
    X = np.vstack([c + rng.normal(0, 0.5, (30, 2)) for c in centers])
    y = np.repeat([0, 1, 2], 30)
    p = Perceptron(random_state=0).fit(X, y)
    assert p.score(X, y) == 1.0 and p.coef_.shape == (3, 2)
    back = Perceptron.from_dict(json.loads(json.dumps(p.to_dict(as_lists=True))))
    np.testing.assert_array_equal(back.decision_function(X), p.decision_function(X))


def test_partial_fit_and_errors():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    p = Perceptron().partial_fit(X[:2], [0, 0], classes=[0, 1])
    assert p.n_iter_ == 1
    with pytest.raises(ValueError, match="'7'|7"):
        p.partial_fit(X, [0, 1, 7, 1])
    with pytest.raises(ValueError, match="learning_rate"):
        Perceptron(learning_rate=0).fit(X, [0, 0, 1, 1])
    with pytest.raises(ValueError, match="2 classes"):
        Perceptron().fit(X, [1, 1, 1, 1])


def test_inline_step_is_core_step():
    from reglab.core.activations import get_activation

    z = np.array([-1.0, -1e-300, 0.0, 1e-300, 2.0])
    np.testing.assert_array_equal(get_activation("step")(z), (z >= 0).astype(float))


def test_summary_shows_weights_by_feature_and_mistakes_per_epoch():
    import pandas as pd

    X = pd.DataFrame({"crack": [1, 0, 2, 0, 1, 3], "doink": [0, 1, 0, 2, 2, 1]})
    y = np.array(["sad", "happy", "sad", "happy", "happy", "sad"])
    p = Perceptron(random_state=0, shuffle=False).fit(X, y)
    lines = p.summary().splitlines()
    assert p.converged_
    assert lines[0] == f"Perceptron: 2 classes (happy, sad), converged in epoch {p.n_iter_} " \
                       "(no mistakes)"
    rows = {line.split()[0]: float(line.split()[1]) for line in lines[3:6]}
    assert rows.keys() == {"crack", "doink", "intercept"}
    # printed with 6 significant digits
    np.testing.assert_allclose([rows["crack"], rows["doink"], rows["intercept"]],
                               [p.coef_[0], p.coef_[1], p.intercept_[0]], rtol=1e-5)
    assert lines[-1] == "mistakes per epoch: " + " ".join(str(e) for e in p.errors_)
    # reloaded from data: the same summary, feature names included, and DataFrame input
    # predicts without a feature-name warning
    again = Perceptron.from_dict(json.loads(json.dumps(p.to_dict(as_lists=True))))
    assert again.summary() == p.summary()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(again.predict(X), p.predict(X))


def test_non_separable_data_warn_at_max_iter():
    """XOR is not linearly separable: the rule keeps making mistakes until max_iter."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    with pytest.warns(ConvergenceWarning) as rec:
        p = Perceptron(max_iter=7, random_state=0).fit(X, [0, 0, 1, 1])
    assert not p.converged_ and p.n_iter_ == 7
    assert str(rec[0].message) == (
        f"Perceptron: {p.errors_[-1]} mistake(s) in the last of max_iter=7 epochs; the data may "
        "not be linearly separable (then the rule never stops making mistakes), or it needs "
        "more epochs")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # separable (AND): no warning
        assert Perceptron(random_state=0).fit(X, [0, 1, 0, 0]).converged_
        p.partial_fit(X, [0, 0, 1, 1])  # one epoch by request: no warning either
