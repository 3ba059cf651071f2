"""BasisExpansion: hand-computed columns, safe expressions, sklearn compatibility, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.models.bases import BasisExpansion, compile_expression
from reglab.models.linear import LinearRegression


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x1": rng.uniform(-2, 2, 50), "x2": rng.uniform(0.5, 2, 50)})


def test_lecture_terms_by_hand(frame):
    b = BasisExpansion(terms=["x1^2", "x1 x2^2", "sin(x1^2 x2)", "x2**-1", "-exp(-x1)"])
    out = b.fit_transform(frame)
    x1, x2 = frame["x1"].to_numpy(), frame["x2"].to_numpy()
    expected = np.column_stack([x1, x2, x1**2, x1 * x2**2, np.sin(x1**2 * x2), 1 / x2,
                                -np.exp(-x1)])
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    assert list(b.get_feature_names_out()) == ["x1", "x2", "x1^2", "x1 x2^2", "sin(x1^2 x2)",
                                               "x2**-1", "-exp(-x1)"]


def test_degree_matches_sklearn_polynomial_features(frame):
    X = frame.assign(x3=frame.x1 * 0.3 + 1).to_numpy()
    for inter in (False, True):
        ours = BasisExpansion(degree=3, interaction_only=inter).fit(X)
        ref = PolynomialFeatures(degree=3, interaction_only=inter, include_bias=False).fit(X)
        np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-14)
    names = BasisExpansion(degree=2).fit(frame).get_feature_names_out()
    assert list(names) == ["x1", "x2", "x1^2", "x1*x2", "x2^2"]


def test_numpy_input_is_named_x1_and_callable_terms():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = BasisExpansion(terms=[("ratio", lambda d: d["x1"] / d["x2"])], include_original=False)
    np.testing.assert_allclose(b.fit_transform(X), [[0.5], [0.75]])
    assert list(b.get_feature_names_out()) == ["ratio"]


def test_pandas_output_and_pipeline_recovers_true_model(frame):
    rng = np.random.default_rng(1)
    x1, x2 = frame["x1"], frame["x2"]
    y = 1 + 2 * x1 - x2 + 0.5 * x1**2 + 3 * np.sin(x1**2 * x2) + rng.normal(0, 1e-3, len(x1))
    basis = BasisExpansion(terms=["x1^2", "sin(x1^2 x2)"]).set_output(transform="pandas")
    design = basis.fit_transform(frame)
    assert list(design.columns) == ["x1", "x2", "x1^2", "sin(x1^2 x2)"]
    m = LinearRegression().fit(design, y)
    np.testing.assert_allclose(m.params_, [1, 2, -1, 0.5, 3], atol=2e-3)
    pipe = make_pipeline(BasisExpansion(terms=["x1^2", "sin(x1^2 x2)"]), LinearRegression())
    np.testing.assert_allclose(pipe.fit(frame, y).predict(frame), m.predict(design), rtol=1e-12)


@pytest.mark.parametrize("term, match", [
    ("x3^2", "unknown variable 'x3'"),
    ("gamma(x1)", "unknown function 'gamma'"),
    ("x1.real", "not allowed"),
    ("__import__('os')", "unknown function"),
    ("x1 +", "cannot parse"),
    ("sin(x1, x2)", "one argument"),
])
def test_bad_expressions_are_named(frame, term, match):
    with pytest.raises(ValueError, match=match):
        BasisExpansion(terms=[term]).fit(frame)


def test_domain_errors_name_term_and_row(frame):
    bad = frame.copy()
    bad.loc[7, "x1"] = -1.0
    b = BasisExpansion(terms=["log(x2)", "sqrt(x1 + 2)"]).fit(frame)
    bad.loc[7, "x1"] = -3.0
    with pytest.raises(ValueError, match=r"'sqrt\(x1 \+ 2\)' is nan at row 7"):
        b.transform(bad)
    bad.loc[3, "x2"] = np.inf
    with pytest.raises(ValueError, match="column 'x2', row 3"):
        b.transform(bad)


def test_failed_refit_leaves_the_fitted_basis_unchanged(frame):
    b = BasisExpansion(terms=["x1^2"]).fit(frame)
    before = b.transform(frame)
    b.set_params(terms=["nope^2"])
    with pytest.raises(ValueError, match="unknown variable 'nope'"):
        b.fit(frame.assign(extra=1.0))
    assert b.n_features_in_ == 2 and list(b.feature_names_in_) == ["x1", "x2"]
    assert b.output_names_ == ["x1", "x2", "x1^2"]
    np.testing.assert_array_equal(b.transform(frame), before)


def test_argument_checks(frame):
    with pytest.raises(ValueError, match="degree"):
        BasisExpansion(degree=1.5).fit(frame)
    with pytest.raises(ValueError, match="empty"):
        BasisExpansion(include_original=False).fit(frame)
    with pytest.raises(ValueError, match="duplicate"):
        BasisExpansion(terms=["x1"]).fit(frame)
    with pytest.raises(ValueError, match="differ"):
        BasisExpansion(degree=2).fit(frame).get_feature_names_out(["a", "b"])
    f = compile_expression("2 x1 + 1", ["x1"])
    np.testing.assert_allclose(f({"x1": np.array([1.0, 2.0])}), [3.0, 5.0])


@parametrize_with_checks([BasisExpansion(degree=2), BasisExpansion(terms=["x1^2"])])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)
