"""FormulaMixin: formulaic designs, intercept mapping, re-applied transforms, extension hook."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from formulaic.utils.stateful_transforms import stateful_transform

from reglab.models._formula import FORMULA_TRANSFORMS, design_from_formula
from reglab.models.linear import LinearRegression


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(0)
    n = 80
    d = pd.DataFrame({"x1": rng.uniform(-1, 1, n), "x2": rng.uniform(0, 2, n),
                      "g": rng.choice(["lo", "mid", "hi"], n), "w": rng.uniform(0.5, 2, n)})
    d["y"] = (1 + 2 * d.x1 - d.x2 + 0.5 * d.x1**2 + np.sin(d.x1**2 * d.x2)
              + (d.g == "hi") * 0.7 + rng.normal(0, 0.3, n))
    return d


def test_lecture_formula_equals_hand_built_design(df):
    f = "y ~ x1 + x2 + I(x1**2) + np.sin(x1**2 * x2)"
    m = LinearRegression.from_formula(f, df)
    assert m.fit_intercept
    assert list(m.params_.index) == ["Intercept", "x1", "x2", "I(x1 ** 2)",
                                     "np.sin(x1 ** 2 * x2)"]
    X = np.column_stack([df.x1, df.x2, df.x1**2, np.sin(df.x1**2 * df.x2)])
    ref = LinearRegression().fit(X, df.y)
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-12)
    np.testing.assert_allclose(m.std_errors_, ref.std_errors_, rtol=1e-12)
    assert m.term_names_[0] == "Intercept" and m.formula_ == f
    assert "Formula: " + f in m.summary()


def test_categorical_formula_matches_statsmodels(df):
    f = "y ~ x1 * g + np.log(x2 + 1)"
    ours = LinearRegression.from_formula(f, df)
    theirs = smf.ols(f, df).fit()
    # patsy and formulaic use the same treatment coding and names here; sort both to compare
    np.testing.assert_allclose(ours.params_.sort_index(), theirs.params.sort_index(), rtol=1e-10)
    np.testing.assert_allclose(ours.std_errors_.sort_index(), theirs.bse.sort_index(), rtol=1e-10)
    assert ours.rsquared_adj_ == pytest.approx(theirs.rsquared_adj, rel=1e-12)
    # new data with a single level still gets every dummy column, as in training
    new = df.iloc[:5].assign(g="mid")
    np.testing.assert_allclose(ours.predict(new), theirs.predict(new), rtol=1e-10)


def test_no_intercept_and_conflicts(df):
    m = LinearRegression.from_formula("y ~ x1 + x2 - 1", df)
    assert not m.fit_intercept and list(m.params_.index) == ["x1", "x2"]
    ref = LinearRegression(fit_intercept=False).fit(df[["x1", "x2"]], df.y)
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-12)
    with pytest.raises(ValueError, match="contradicts the formula"):
        LinearRegression.from_formula("y ~ x1", df, fit_intercept=False)


def test_weights_from_column_and_missing_rows(df):
    d = df.copy()
    d.loc[[3, 10], "x2"] = np.nan
    with pytest.warns(UserWarning, match=r"2 row\(s\) dropped .* row 3"):
        m = LinearRegression.from_formula("y ~ x1 + x2", d, fit_params={"sample_weight": "w"})
    keep = d.dropna()
    ref = LinearRegression().fit(keep[["x1", "x2"]], keep.y, sample_weight=keep.w)
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-12)
    np.testing.assert_allclose(m.std_errors_, ref.std_errors_, rtol=1e-12)
    assert len(m.formula_rows_) == len(df) - 2
    with pytest.raises(ValueError, match="names column 'nope'"):
        LinearRegression.from_formula("y ~ x1", df, fit_params={"sample_weight": "nope"})
    with pytest.raises(ValueError, match="has \\(3,\\) rows"):
        LinearRegression.from_formula("y ~ x1", df, fit_params={"sample_weight": [1, 2, 3]})


def test_transformed_response(df):
    d = df.assign(pos=np.exp(df.y / 4))
    m = LinearRegression.from_formula("np.log(pos) ~ x1", d)
    ref = LinearRegression().fit(d[["x1"]], np.log(d.pos))
    np.testing.assert_allclose(m.params_, ref.params_, rtol=1e-12)


def test_registered_stateful_transform_is_reapplied(df, monkeypatch):
    # the extension point the GAM smooth s() uses: state (here a mean) is kept in the ModelSpec
    @stateful_transform
    def centre(x, _state=None):
        if "mean" not in _state:
            _state["mean"] = float(np.mean(x))
        return np.asarray(x) - _state["mean"]

    monkeypatch.setitem(FORMULA_TRANSFORMS, "centre", centre)
    m = LinearRegression.from_formula("y ~ centre(x1)", df)
    mean = df.x1.mean()
    new = pd.DataFrame({"x1": [0.0, 5.0]})
    expected = m.params_["Intercept"] + m.params_["centre(x1)"] * (new.x1 - mean)
    np.testing.assert_allclose(m.predict(new), expected, rtol=1e-12)


def test_class_context_hook(df):
    class Scaled(LinearRegression):
        @classmethod
        def _formula_context(cls):
            return {"double": lambda x: 2 * np.asarray(x)}

    m = Scaled.from_formula("y ~ double(x1)", df)
    assert m.params_["double(x1)"] == pytest.approx(
        LinearRegression.from_formula("y ~ x1", df).params_["x1"] / 2, rel=1e-12)
    np.testing.assert_allclose(m.predict(df.iloc[:3]),
                               LinearRegression.from_formula("y ~ x1", df).predict(df.iloc[:3]))


def test_errors_name_the_formula(df):
    with pytest.raises(ValueError, match="cannot evaluate formula 'y ~ nothere'"):
        LinearRegression.from_formula("y ~ nothere", df)
    with pytest.raises(ValueError, match="has no response"):
        LinearRegression.from_formula("~ x1", df)
    with pytest.raises(TypeError, match="DataFrame"):
        LinearRegression.from_formula("y ~ x1", [1, 2, 3])
    m = LinearRegression.from_formula("y ~ x1 + x2", df)
    with pytest.raises(ValueError, match="cannot apply formula"):
        m.predict(pd.DataFrame({"x1": [1.0]}))


def test_one_sided_design_and_raw_string_response(df):
    y, X, spec, kept = design_from_formula("~ x1 + g", df)
    assert y is None and list(X.columns) == ["Intercept", "x1", "g[T.lo]", "g[T.mid]"]
    y2, _, _, _ = design_from_formula("g ~ x1", df)
    assert y2.dtype.kind in "OUT" and set(y2) == {"lo", "mid", "hi"}  # labels, not dummies
