"""MLP / Perceptron parameter and input checks: dtype spellings, learning_rate, hidden sizes,
momentum, the step activation, and errors naming the row, column or value."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning

from reglab import MLPClassifier, MLPRegressor
from reglab.io import load_model, save_model
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
