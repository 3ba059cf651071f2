"""MLP / Perceptron parameter and input checks: dtype spellings, learning_rate, hidden sizes,
momentum, the step activation, and errors naming the row, column or value."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from reglab import MLPClassifier, MLPRegressor
from reglab.io import load_model, save_model
from reglab.models.perceptron import Perceptron
from reglab.nn import Sequential, build_network

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3))
Y = X[:, 0] - 2 * X[:, 1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_type_objects_are_accepted(dtype, tmp_path):
    name = np.dtype(dtype).name
    assert build_network(2, (4,), 1, dtype=dtype).dtype == np.dtype(name)
    assert Sequential(build_network(2, (), 1).layers, dtype=dtype).dtype == np.dtype(name)
    kw = dict(hidden_layer_sizes=(4,), max_iter=5, learning_rate=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = MLPRegressor(dtype=dtype, **kw).fit(X, Y)
        b = MLPRegressor(dtype=name, **kw).fit(X, Y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))  # the same run, bit for bit
    assert a.network_.dtype == np.dtype(name)
    save_model(a, tmp_path / "a.reglab")  # stored as the name (a type is not data)
    loaded = load_model(tmp_path / "a.reglab").model
    assert loaded.dtype == name
    np.testing.assert_array_equal(loaded.predict(X), a.predict(X))


def test_other_dtypes_are_refused_by_name():
    with pytest.raises(ValueError) as err:
        build_network(2, (4,), 1, dtype=np.int32)
    assert str(err.value) == "dtype must be 'float32' or 'float64', got <class 'numpy.int32'>"
    with pytest.raises(ValueError) as err:
        MLPRegressor(dtype="float16").fit(X, Y)
    assert str(err.value) == "dtype must be 'float32' or 'float64', got 'float16'"


NAN_MSG = ("X contains NaN at column 'x2', row 3 (1 non-finite value(s)); remove or impute them "
           "before fitting")


def _with_nan():
    Xn = X.copy()
    Xn[3, 1] = np.nan
    return Xn


@pytest.mark.parametrize("make", [lambda: MLPRegressor((4,), max_iter=2),
                                  lambda: MLPClassifier((4,), max_iter=2),
                                  lambda: Perceptron(max_iter=2)])
def test_nan_in_X_is_named_by_column_and_row(make):
    y = Y > 0
    with pytest.raises(ValueError) as err:
        make().fit(_with_nan(), y)
    assert str(err.value) == NAN_MSG
    frame = pd.DataFrame(_with_nan(), columns=["a", "b", "c"])
    frame.iloc[0, 2] = np.inf
    with pytest.raises(ValueError) as err:
        make().fit(frame, y)
    assert str(err.value) == ("X contains inf at column 'c', row 0 (2 non-finite value(s)); "
                              "remove or impute them before fitting")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = make().fit(X, y)
    with pytest.raises(ValueError) as err:
        fitted.predict(_with_nan())
    assert str(err.value) == NAN_MSG.replace("before fitting", "before predicting")


def test_text_target_of_a_regressor_names_the_row():
    with pytest.raises(ValueError) as err:
        MLPRegressor((4,)).fit(X[:5], ["1.5", "2", "3", "a", "b"])
    assert str(err.value) == ("MLPRegressor: y (the target) must be numeric, but row 3 is 'a'; a "
                              "regressor predicts numbers (MLPClassifier predicts labels)")


@pytest.mark.parametrize("make", [MLPClassifier, Perceptron])
def test_missing_label_is_named_by_row(make):
    labels = ["a"] * 10 + [None] + ["b"] * 9
    with pytest.raises(ValueError) as err:
        make().fit(X[:20], labels)
    assert str(err.value) == (f"{make.__name__}: y has a missing label (None) at row 10; drop "
                              "that row or give it a label")


@pytest.mark.parametrize("lr", ["adaptive", "constant", "invscaling"])
def test_sklearn_schedule_name_is_explained(lr):
    with pytest.raises(ValueError) as err:
        MLPRegressor(learning_rate=lr).fit(X, Y)
    assert str(err.value) == (
        f"learning_rate={lr!r}: reglab's learning_rate is the initial step size, a number > 0 "
        "(scikit-learn's learning_rate_init), not scikit-learn's schedule name ('constant', "
        "'invscaling', 'adaptive'); give a schedule as a function of the update count, e.g. "
        "learning_rate=reglab.core.optimizers.cosine_decay(0.01, 1000)")
    with pytest.raises(ValueError, match=r"^learning_rate must be a number > 0 or a schedule, "
                                         r"got -0.1$"):
        MLPRegressor(learning_rate=-0.1).fit(X, Y)


def test_callable_schedule_is_used_as_by_the_trainer():
    """cosine_decay(0.01, 60) drives the steps: the logged lr of epoch k (3 updates of 20 rows
    per epoch) is the hand-computed 0.005 (1 + cos(pi t / 60)) at t = 3k - 1, to 1e-12."""
    from reglab.core.optimizers import cosine_decay

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = MLPRegressor((4,), optimizer="sgd", learning_rate=cosine_decay(0.01, 60),
                         batch_size=20, max_iter=10, random_state=0).fit(X, Y)
    want = [0.005 * (1 + np.cos(np.pi * (3 * k - 1) / 60)) for k in range(1, 11)]
    np.testing.assert_allclose([h["lr"] for h in m.history_], want, rtol=1e-12, atol=0)
    assert "learning_rate a schedule," in m.summary()
    with pytest.raises(ValueError, match="learning-rate schedule .* cannot be stored as data"):
        m.to_dict()
    m.set_params(learning_rate=0.01).to_dict()


@pytest.mark.parametrize("sizes, msg", [
    ((4.5,), "entry 0 is 4.5 (in (4.5,))"), ("10", "entry 0 is '10' (in '10')"),
    ((4, 0), "entry 1 is 0 (in (4, 0))"), ((3, -2), "entry 1 is -2 (in (3, -2))"),
    ((True,), "entry 0 is True (in (True,))")])
def test_hidden_layer_sizes_must_be_positive_integers(sizes, msg):
    full = f"hidden_layer_sizes entries must be positive integers; {msg}"
    for call in (lambda: MLPRegressor(sizes).fit(X, Y),
                 lambda: MLPClassifier(sizes).fit(X, Y > 0),
                 lambda: build_network(3, sizes, 1)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == full


def test_numpy_integer_sizes_and_momentum_range():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = MLPRegressor((np.int64(3), np.int32(2)), max_iter=1, momentum=0.0).fit(X, Y)
    assert [d.n_out for d in m.network_.dense] == [3, 2, 1]
    for bad in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError) as err:
            MLPRegressor((3,), momentum=bad).fit(X, Y)
        assert str(err.value) == f"momentum must be in [0, 1), got {bad}"


def test_step_activation_warns_once_and_its_layer_does_not_move():
    with pytest.warns(UserWarning) as rec:
        m = MLPRegressor((4, 3), activation=["relu", "step"], max_iter=3, random_state=0,
                         warm_start=True).fit(X, Y)
    msgs = [str(r.message) for r in rec if r.category is UserWarning]
    assert msgs == ["activation 'step' in hidden layer 2: its derivative is 0, so "
                    "backpropagation passes no gradient through it and the weights before it "
                    "never move; the Perceptron (reglab.models.perceptron.Perceptron) is the "
                    "model for the step rule"]
    before = m.coefs_
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a warm-start fit does not warn again
        warnings.simplefilter("ignore", ConvergenceWarning)  # (a UserWarning subclass)
        m.fit(X, Y)
    np.testing.assert_array_equal(m.coefs_[0], before[0])
    np.testing.assert_array_equal(m.coefs_[1], before[1])
    assert np.abs(m.coefs_[2] - before[2]).max() > 0  # only the output layer learns
