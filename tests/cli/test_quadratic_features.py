"""compare's degree-2 rungs: QuadraticFeatures squares no 0/1 column and multiplies no two dummies
of one factor, so the polynomial rung is R's ``y ~ poly(x1, 2) + poly(x2, 2) + x1:x2 + g +
g:x1 + g:x2`` (checked against statsmodels OLS on the hand-built design), and it saves as data."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab._poly import QuadraticFeatures
from reglab.compare import compare, design
from reglab.data import prepare
from reglab.data.tabular import encode
from reglab.io import ModelFileError, load_model, save_model


def _mixed(n=90, seed=1):
    """Two numeric columns, a 3-level text column and a numeric response with a g x x1 term."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(-1, 1, n),
                       "g": rng.choice(["a", "b", "c"], n)})
    df["y"] = df.x1 + df.x2**2 + (df.g == "b") * df.x1 + rng.normal(scale=0.3, size=n)
    return df


@parametrize_with_checks([QuadraticFeatures()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_numeric_columns_give_exactly_polynomial_features():
    """Without a two-valued column the terms, their order, names and values are scikit-learn's
    PolynomialFeatures(2, include_bias=False), bit for bit."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "c"])
    q, ref = QuadraticFeatures().fit(X), PolynomialFeatures(2, include_bias=False).fit(X)
    assert q.get_feature_names_out().tolist() == ref.get_feature_names_out().tolist()
    np.testing.assert_array_equal(q.transform(X), ref.transform(X))
    np.testing.assert_array_equal(q.powers_, ref.powers_)


def test_which_terms_two_valued_columns_keep():
    """No square of a two-valued column; no product of dummies g1, g2 of one factor (never 1
    together), nor of h with g1 or g2 (h = 1 only where g1 = 1: three of the four value pairs
    occur, so h g1 = h and h g2 = 0); f crosses every dummy in all four pairs, so f g1, f g2,
    f h stay; no product with the constant k (a multiple of the other column)."""
    rng = np.random.default_rng(3)
    g = np.tile([0, 1, 2], 20)
    X = pd.DataFrame({"x": rng.normal(size=60), "g1": (g == 1) * 1.0, "g2": (g == 2) * 1.0,
                      "f": np.repeat([0.0, 1.0], 30), "k": 5.0,
                      "h": ((g == 1) & (np.arange(60) % 2 == 0)) * 1.0})
    q = QuadraticFeatures().fit(X)
    assert q.get_feature_names_out().tolist() == [
        "x", "g1", "g2", "f", "k", "h", "x^2", "x g1", "x g2", "x f", "x h", "g1 f", "g2 f",
        "f h"]
    # each kept term is the product of its columns; a dropped one is affine in its columns
    Z = q.transform(X)
    np.testing.assert_array_equal(Z[:, 7], X.x * X.g1)
    np.testing.assert_array_equal(X.h * X.g1, X.h)
    np.testing.assert_array_equal(Z[:, 13], X.f * X.h)
    # the same decisions on standardised columns (two values, but not 0 and 1)
    Xs = (X - X.mean()) / X.std().replace(0, 1)
    assert QuadraticFeatures().fit(Xs).get_feature_names_out().tolist() == \
        q.get_feature_names_out().tolist()


def _hand_design(df):
    """[1, x1, x2, x1^2, x2^2, x1 x2, g[b], g[c], g x x1, g x x2] from the raw columns; no
    g[b]^2, g[c]^2 (= the dummies) and no g[b] g[c] (identically 0)."""
    b, c = (df.g == "b") * 1.0, (df.g == "c") * 1.0
    return np.column_stack([np.ones(len(df)), df.x1, df.x2, df.x1**2, df.x2**2, df.x1 * df.x2,
                            b, c, b * df.x1, c * df.x1, b * df.x2, c * df.x2])


def test_polynomial_rung_is_ols_on_the_hand_built_design():
    """Fitted values, held-out predictions of every fold and sigma equal statsmodels OLS on the
    hand-built design (1e-8); the summary has 12 terms and no NA / singular rows."""
    import statsmodels.api as sm
    from sklearn.model_selection import KFold

    df = _mixed()
    data = prepare(df, "y")
    res = compare(data, folds=3, seed=0, models=["polynomial"]).results[0]
    D, y = _hand_design(df), df.y.to_numpy()
    ols = sm.OLS(y, D).fit()
    assert np.linalg.matrix_rank(D) == D.shape[1] == 12
    np.testing.assert_allclose(res.model.predict(design(data)), ols.fittedvalues,
                               rtol=1e-8, atol=1e-8)
    oof = np.zeros(len(y))
    for train, test in KFold(3, shuffle=True, random_state=0).split(D):
        oof[test] = sm.OLS(y[train], D[train]).fit().predict(D[test])
    np.testing.assert_allclose(res.oof, oof, rtol=1e-8, atol=1e-8)
    final = res.model[-1]
    assert final.aliased_ == []
    assert list(final.feature_names_in_) == [
        "x1", "x2", "g[b]", "g[c]", "x1^2", "x1 x2", "x1 g[b]", "x1 g[c]", "x2^2", "x2 g[b]",
        "x2 g[c]"]
    text = str(final.summary())
    assert "NA" not in text and "singularities" not in text
    assert final.sigma_ == pytest.approx(np.sqrt(ols.scale), rel=1e-8)
    # AIC counts 11 terms + intercept + variance (it counted the 3 aliased squares too)
    assert res.scores["AIC"] == pytest.approx(-2 * ols.llf + 2 * 13, rel=1e-8)


def test_polynomial_logistic_rung_spends_no_parameters_on_aliased_terms():
    df = _mixed()
    df["hit"] = np.where(df.y > df.y.median(), "yes", "no")
    data = prepare(df.drop(columns="y"), "hit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = compare(data, folds=3, models=["polynomial logistic"], fast=True).results[0]
    assert res.skipped is None
    final = res.model[-1]
    assert list(final.feature_names_in_) == [
        "x1", "x2", "g[b]", "g[c]", "x1^2", "x1 x2", "x1 g[b]", "x1 g[c]", "x2^2", "x2 g[b]",
        "x2 g[c]"]
    assert np.asarray(final.coef_).size == 11


def test_a_column_binary_in_training_enters_linearly_at_predict():
    """flag is 0/1 in training: no flag^2 term. A row with flag = 2 is expanded with the fitted
    terms only (flag and x flag, no square): the prediction is the linear predictor of those
    terms, computed here by hand from the scaler's means and scales (1e-12)."""
    from reglab._ladder import ladder

    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.normal(size=60), "flag": np.tile([0.0, 1.0], 30)})
    df["y"] = df.x + 2 * df.flag * df.x + rng.normal(scale=0.1, size=60)
    data = prepare(df, "y")
    rung = next(r for r in ladder("continuous") if r.name == "polynomial (degree 2)")
    pipe, _ = rung.build(data, seed=0, fast=True, errors=None)
    pipe.fit(design(data), data.y)
    assert pipe[1].get_feature_names_out().tolist() == ["x", "flag", "x^2", "x flag"]
    new = pd.DataFrame({"x": [0.5, -1.0], "flag": [2.0, 2.0]})
    assert QuadraticFeatures().fit(df[["x", "flag"]]).transform(new).tolist() == \
        [[0.5, 2.0, 0.25, 1.0], [-1.0, 2.0, 1.0, -2.0]]
    z = (new - pipe[0].mean_) / pipe[0].scale_
    terms = np.column_stack([z.x, z.flag, z.x**2, z.x * z.flag])
    lm = pipe[-1]
    np.testing.assert_allclose(pipe.predict(new), lm.intercept_ + terms @ lm.coef_, rtol=1e-12)


def test_pipelines_round_trip_through_reglab_io_bitwise(tmp_path):
    """Both degree-2 rungs with a text feature, saved as data and loaded back, predict (and give
    probabilities) bit for bit what they did, on the training rows and on new ones."""
    df = _mixed()
    df["hit"] = np.where(df.y > df.y.median(), "yes", "no")
    new = pd.DataFrame({"x1": [-3.0, 0.2, 4.0], "x2": [2.0, 0.1, -0.5],
                        "g": ["c", "a", "b"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target, rung, drop in (("y", "polynomial", "hit"),
                                   ("hit", "polynomial logistic", "y")):
            data = prepare(df.drop(columns=drop), target)
            model = compare(data, folds=2, models=[rung], fast=True).results[0].model
            X = design(data)
            path = save_model(model, tmp_path / f"{target}.reglab", X_check=X)
            back = load_model(path).model
            Xnew = pd.DataFrame(encode(new, data.schema)[0], columns=data.feature_names)
            for rows in (X, Xnew):
                for method in ("predict", "predict_proba"):
                    if hasattr(model, method):
                        np.testing.assert_array_equal(getattr(back, method)(rows),
                                                      getattr(model, method)(rows))
            assert back[1].get_feature_names_out().tolist() == \
                model[1].get_feature_names_out().tolist()


def test_save_best_polynomial_with_a_text_feature(tmp_path, run):
    """`reglab compare --save-best` of the polynomial rung on a CSV with a text column: the file
    predicts bitwise what the same compare in Python fitted, `reglab summary` shows no NA rows,
    and `reglab predict` reads new rows with text levels."""
    df = _mixed()
    df.to_csv(tmp_path / "d.csv", index=False)
    code, _, err = run("compare", tmp_path / "d.csv", "-t", "y", "--models", "polynomial",
                       "--folds", "3", "--no-report", "-o", tmp_path / "r", "--save-best",
                       tmp_path / "p.reglab", "-q")
    assert code == 0, err
    data = prepare(pd.read_csv(tmp_path / "d.csv"), "y")
    fitted = compare(data, folds=3, models=["polynomial"]).results[0].model
    back = load_model(tmp_path / "p.reglab").model
    np.testing.assert_array_equal(back.predict(design(data)), fitted.predict(design(data)))
    code, out, err = run("summary", tmp_path / "p.reglab")
    assert code == 0, err
    assert "x1 g[b]" in out and "x2^2" in out
    assert "singularities" not in out and "g[b]^2" not in out and "g[b] g[c]" not in out
    df.drop(columns="y").head(4).to_csv(tmp_path / "n.csv", index=False)
    code, _, err = run("predict", tmp_path / "p.reglab", tmp_path / "n.csv",
                       "-o", tmp_path / "o.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv(tmp_path / "o.csv").iloc[:, -1],
                               fitted.predict(design(data))[:4], rtol=1e-12)


def test_a_model_file_with_malformed_terms_is_refused():
    from reglab._io_composite import _quad_from

    good = {"powers": np.array([[1, 0], [0, 1], [1, 1]]), "names": ["a", "b"], "n_features": 2}
    assert _quad_from(good).get_feature_names_out().tolist() == ["a", "b", "a b"]
    for bad in ({"powers": np.array([[1, 0], [1, 1]])},
                {"powers": np.array([[1, 0], [0, 1], [3, 0]])},
                {"powers": np.array([[1, 0], [0, 1], [2, 0]]), "names": ["a"]}):
        with pytest.raises(ModelFileError) as info:
            _quad_from({**good, **bad})
        shape = bad["powers"].shape
        assert str(info.value) == (f"quadratic features: terms of shape {shape} do not fit 2 "
                                   "input columns")
