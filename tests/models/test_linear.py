"""LinearRegression against NIST/R/Stata published numbers, statsmodels and invariants."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.models.linear import AliasedColumnsWarning, LinearRegression, PerfectFitWarning


@pytest.fixture(scope="module")
def longley():
    d = sm.datasets.longley.load_pandas()
    return d.exog, d.endog


# NIST StRD "Longley" certified values (https://www.itl.nist.gov/div898/strd/lls/data/Longley.shtml),
# as stored in statsmodels/regression/tests/results/results_regression.py (class Longley).
NIST_PARAMS = [-3482258.63459582, 15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
               -1.03322686717359, -0.511041056535807e-01, 1829.15146461355]
NIST_BSE = [890420.383607373, 84.9149257747669, 0.334910077722432e-01, 0.488399681651699,
            0.214274163161675, 0.226073200069370, 455.478499142212]
NIST_SIGMA = 304.854073561965
NIST_R2 = 0.995479004577296
NIST_F = 330.285339234588
NIST_RSS = 836424.055505915


def test_longley_matches_nist_certified_values(longley):
    X, y = longley
    m = LinearRegression().fit(X, y)
    assert list(m.params_.index) == ["Intercept", *X.columns]
    # Longley has condition number ~5e9: the normal equations keep about 7 digits, an uncentred
    # QR about 11; the centred, streamed QR keeps 13 (measured max relative errors: params 2e-14,
    # SEs 1e-13). NIST certifies 15 digits.
    np.testing.assert_allclose(m.params_, NIST_PARAMS, rtol=1e-12)
    np.testing.assert_allclose(m.std_errors_, NIST_BSE, rtol=1e-12)
    assert m.sigma_ == pytest.approx(NIST_SIGMA, rel=1e-12)
    assert m.rsquared_ == pytest.approx(NIST_R2, rel=1e-13)
    assert m.fvalue_ == pytest.approx(NIST_F, rel=1e-11)
    assert m.deviance_ == pytest.approx(NIST_RSS, rel=1e-11)
    assert (m.df_resid_, m.df_model_, m.rank_) == (9, 6, 7)


def test_longley_svd_solver_agrees(longley):
    X, y = longley
    m = LinearRegression(solver="svd").fit(X, y)
    # measured: params 3.5e-13, SEs 4e-13
    np.testing.assert_allclose(m.params_, NIST_PARAMS, rtol=1e-11)
    np.testing.assert_allclose(m.std_errors_, NIST_BSE, rtol=1e-11)


def test_longley_loglik_aic_bic_as_r(longley):
    # R: logLik(lm) = -109.6174 (df = 8): statsmodels' stored value (Longley class, "llf"),
    # which R's logLik equals; R's AIC/BIC count sigma: AIC = -2 llf + 2 * 8, BIC + log(16) * 8.
    X, y = longley
    m = LinearRegression().fit(X, y)
    assert m.llf_ == pytest.approx(-109.6174, abs=5e-5)
    # closed form of logLik.lm with unit weights: -n/2 (log(2 pi RSS / n) + 1)
    n = 16
    assert m.llf_ == pytest.approx(-n / 2 * (math.log(2 * math.pi * NIST_RSS / n) + 1), rel=1e-12)
    assert m.aic_ == pytest.approx(-2 * m.llf_ + 16, rel=1e-14)
    assert m.bic_ == pytest.approx(-2 * m.llf_ + math.log(16) * 8, rel=1e-14)
    # R's summary(lm) on these data: "F-statistic: 330.3 on 6 and 9 DF, p-value: 4.984e-10"
    assert m.f_pvalue_ == pytest.approx(4.984e-10, rel=1e-3)
    text = m.summary()
    assert "330.3 on 6 and 9 DF" in text and "Residual standard error: 304.9 on 9" in text


def test_weighted_matches_stata_ccard():
    # Greene's credit card data, Stata `reg avgexp age income incomesq ownrent [aw=1/incomesq]`
    # (statsmodels results_regression.CCardWLS); analytic weights = 1/incomesq rescaled to sum n.
    d = sm.datasets.ccard.load_pandas()
    X, y = d.exog, d.endog
    w = 1.0 / X["INCOMESQ"].to_numpy()
    w = w * len(w) / w.sum()
    m = LinearRegression().fit(X, y, sample_weight=w)
    params = [-2.6941851611, 158.426977524, -7.24928987289, 60.4487736936, -114.10886935]
    bse = [3.807306306, 76.39115431, 9.724337321, 58.55088753, 139.6874965]
    np.testing.assert_allclose(m.params_.iloc[1:], params[:4], rtol=1e-9)
    np.testing.assert_allclose(m.params_.iloc[0], params[4], rtol=1e-9)
    np.testing.assert_allclose(m.std_errors_.iloc[1:], bse[:4], rtol=1e-9)
    assert m.std_errors_.iloc[0] == pytest.approx(bse[4], rel=1e-9)
    # R p-values stored in the same class (pvalues "from R")
    p_r = [0.4816259843354, 0.0419360764848, 0.4585895209814, 0.3055904431658, 0.4168883565685]
    np.testing.assert_allclose(m.pvalues_.iloc[1:], p_r[:4], rtol=1e-8)
    assert m.rsquared_ == pytest.approx(0.2549143871187359, rel=1e-10)
    assert m.fvalue_ == pytest.approx(5.730638077585917, rel=1e-10)


def _random_problem(seed=0, n=60, p=3):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"v{j}" for j in range(p)])
    y = 1.0 + X @ np.arange(1.0, p + 1) + rng.normal(scale=0.7, size=n)
    w = rng.uniform(0.2, 3.0, size=n)
    return X, y.to_numpy(), w


@pytest.mark.parametrize("intercept", [True, False])
def test_matches_statsmodels_wls(intercept):
    X, y, w = _random_problem()
    m = LinearRegression(fit_intercept=intercept).fit(X, y, sample_weight=w)
    Z = sm.add_constant(X) if intercept else X
    r = sm.WLS(y, Z, weights=w).fit()
    np.testing.assert_allclose(m.params_, r.params, rtol=1e-10)
    np.testing.assert_allclose(m.std_errors_, r.bse, rtol=1e-10)
    np.testing.assert_allclose(m.pvalues_, r.pvalues, rtol=1e-8)
    for ours, theirs in [("rsquared_", "rsquared"), ("rsquared_adj_", "rsquared_adj"),
                         ("fvalue_", "fvalue"), ("llf_", "llf"), ("scale_", "scale")]:
        assert getattr(m, ours) == pytest.approx(getattr(r, theirs), rel=1e-10), ours
    # statsmodels' AIC counts only the mean parameters; R's (ours) also counts sigma
    assert m.aic_ == pytest.approx(r.aic + 2, rel=1e-12)
    assert m.bic_ == pytest.approx(r.bic + math.log(len(y)), rel=1e-12)
    new = X.iloc[:7] + 0.3
    frame = r.get_prediction(sm.add_constant(new, has_constant="add") if intercept else new)
    sf = frame.summary_frame(alpha=0.1)
    conf = m.predict(new, interval="confidence", level=0.9)
    pred = m.predict(new, interval="prediction", level=0.9)
    np.testing.assert_allclose(conf["fit"], sf["mean"], rtol=1e-10)
    np.testing.assert_allclose(conf["se_fit"], sf["mean_se"], rtol=1e-10)
    np.testing.assert_allclose(conf[["lwr", "upr"]], sf[["mean_ci_lower", "mean_ci_upper"]],
                               rtol=1e-10)
    np.testing.assert_allclose(pred[["lwr", "upr"]], sf[["obs_ci_lower", "obs_ci_upper"]],
                               rtol=1e-10)
    np.testing.assert_allclose(m.conf_int(0.9), r.conf_int(0.1), rtol=1e-10)


def test_zero_weight_rows_equal_dropping_them():
    X, y, w = _random_problem(1)
    w[:5] = 0.0
    a = LinearRegression().fit(X, y, sample_weight=w)
    b = LinearRegression().fit(X.iloc[5:], y[5:], sample_weight=w[5:])
    np.testing.assert_allclose(a.std_errors_, b.std_errors_, rtol=1e-12)
    assert (a.df_resid_, a.nobs_) == (b.df_resid_, b.nobs_)
    assert a.llf_ == pytest.approx(b.llf_, rel=1e-12)


def test_duplicated_and_constant_columns_are_aliased_like_r():
    X, y, _ = _random_problem(2)
    X2 = X.assign(dup=X["v1"], const=3.0, combo=X["v0"] - 2 * X["v2"])
    with pytest.warns(AliasedColumnsWarning) as rec:
        m = LinearRegression().fit(X2, y)
    msg = str(rec[0].message)
    assert "'dup' (duplicate of 'v1')" in msg and "'const' (constant)" in msg and "'combo'" in msg
    assert m.aliased_ == ["dup", "const", "combo"]
    assert m.params_[["dup", "const", "combo"]].isna().all()
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(m.params_[ref.params_.index], ref.params_, rtol=1e-10)
    np.testing.assert_allclose(m.std_errors_[ref.params_.index], ref.std_errors_, rtol=1e-10)
    assert m.df_resid_ == ref.df_resid_
    np.testing.assert_allclose(m.predict(X2), ref.predict(X), rtol=1e-10)
    assert "3 not defined because of singularities" in m.summary()


@pytest.mark.parametrize("bad, where", [("X", "column 'v1', row 4"), ("y", "row 7")])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_input_is_named(bad, where, value):
    X, y, _ = _random_problem(3)
    X = X.copy()
    y = y.copy()
    if bad == "X":
        X.iloc[4, 1] = value
    else:
        y[7] = value
    with pytest.raises(ValueError, match=where):
        LinearRegression().fit(X, y)


def test_bad_shapes_and_weights_and_failed_fit_leaves_model_unchanged():
    X, y, w = _random_problem(4)
    m = LinearRegression().fit(X, y)
    before = m.params_.copy()
    with pytest.raises(ValueError, match="n_samples = 3 .* fewer than the 4 coefficients"):
        m.fit(X.iloc[:3], y[:3])
    w_bad = w.copy()
    w_bad[9] = -1.0
    with pytest.raises(ValueError, match="row 9"):
        m.fit(X, y, sample_weight=w_bad)
    with pytest.raises(ValueError, match="solver"):
        LinearRegression(solver="normal").fit(X, y)
    pd.testing.assert_series_equal(m.params_, before)
    with pytest.raises(ValueError, match="interval"):
        m.predict(X, interval="tolerance")


def test_all_zero_columns_without_intercept_are_aliased():
    X = np.zeros((10, 2))
    with pytest.warns(AliasedColumnsWarning, match="'x1' \\(all zero\\), 'x2' \\(all zero\\)"):
        m = LinearRegression(fit_intercept=False).fit(X, np.arange(10.0))
    assert m.rank_ == 0 and m.params_.isna().all() and m.df_resid_ == 10
    np.testing.assert_array_equal(m.predict(X), 0.0)


def test_text_column_is_named():
    X, y, _ = _random_problem(6)
    with pytest.raises(ValueError, match=r"\['city'\] are not numeric"):
        LinearRegression().fit(X.assign(city="Cork"), y)


def test_saturated_fit_warns_and_has_nan_inference():
    X, y, _ = _random_problem(5, n=4, p=3)
    with pytest.warns(UserWarning, match="no residual degrees of freedom"):
        m = LinearRegression().fit(X, y)
    np.testing.assert_allclose(m.predict(X), y, atol=1e-10)
    assert m.std_errors_.isna().all()


def test_numpy_input_gets_x1_names_and_perfect_line():
    x = np.linspace(0, 1, 20)[:, None]
    with pytest.warns(PerfectFitWarning):  # an exact line: R's "essentially perfect fit"
        m = LinearRegression().fit(x, 0.5 * x[:, 0] + 2)
    assert list(m.params_.index) == ["Intercept", "x1"]
    assert m.coef_[0] == pytest.approx(0.5, abs=1e-12) and m.intercept_ == pytest.approx(2.0)
    assert not hasattr(m, "feature_names_in_")


def _expected_failures(estimator):
    # sklearn fits 31 coefficients on 27 rows here; fewer rows than coefficients is a ValueError
    # by design (R would silently alias the surplus columns).
    return {"check_sample_weight_equivalence_on_dense_data":
            "fewer rows than coefficients is an error by design"}


@parametrize_with_checks([LinearRegression(), LinearRegression(solver="svd", fit_intercept=False)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AliasedColumnsWarning)
        warnings.simplefilter("ignore", PerfectFitWarning)  # sklearn's toy data fit exactly
        check(estimator)


def test_streamed_qr_over_many_row_blocks_matches_statsmodels():
    # n = 5000 > 2048 rows per block: the R factor is accumulated over three blocks
    rng = np.random.default_rng(7)
    n = 5000
    X = pd.DataFrame(rng.normal(size=(n, 4)) * [1, 10, 0.1, 1e3], columns=list("abcd"))
    y = X @ np.array([1.0, -0.2, 5.0, 1e-3]) + rng.normal(size=n)
    w = rng.uniform(0, 2, size=n)
    w[rng.choice(n, 50, replace=False)] = 0.0
    # R's lm drops zero-weight rows from the residual df; statsmodels keeps them, so compare
    # with statsmodels on the positive-weight rows
    pos = w > 0
    r = sm.WLS(y[pos], sm.add_constant(X[pos]), weights=w[pos]).fit()
    X2 = X.assign(e=X["a"] + 2 * X["c"])  # aliased, detected from the accumulated factor
    with pytest.warns(AliasedColumnsWarning, match="'e'"):
        m = LinearRegression().fit(X2, y, sample_weight=w)
    np.testing.assert_allclose(m.params_.iloc[:5], r.params, rtol=1e-10)
    np.testing.assert_allclose(m.std_errors_.iloc[:5], r.bse, rtol=1e-10)
    assert m.df_resid_ == n - 50 - 5
    assert m.llf_ == pytest.approx(r.llf, rel=1e-12)


def test_model_file_round_trip_keeps_intervals_and_summary(tmp_path):
    from reglab.io import load_model, save_model

    X, y, w = _random_problem(8)
    m = LinearRegression().fit(X, y, sample_weight=w)
    path = tmp_path / "lm.reglab"
    save_model(m, path)
    back = load_model(path)
    back = getattr(back, "model", back)
    pd.testing.assert_frame_equal(back.predict(X, interval="prediction"),
                                  m.predict(X, interval="prediction"))
    assert back.summary() == m.summary()


def test_affine_equivariance():
    # y -> a y + c scales slopes by a and shifts the intercept; rescaling a column rescales its
    # coefficient and SE inversely; t values, R^2 and F are invariant (exact algebra).
    X, y, w = _random_problem(9)
    base = LinearRegression().fit(X, y, sample_weight=w)
    a, c = 3.5, -40.0
    ty = LinearRegression().fit(X, a * y + c, sample_weight=w)
    np.testing.assert_allclose(ty.coef_, a * base.coef_, rtol=1e-12)
    assert ty.intercept_ == pytest.approx(a * base.intercept_ + c, rel=1e-12)
    np.testing.assert_allclose(ty.tvalues_.iloc[1:], base.tvalues_.iloc[1:], rtol=1e-10)
    scale = np.array([1e-3, 1.0, 1e4])
    tx = LinearRegression().fit(X * scale, y, sample_weight=w)
    np.testing.assert_allclose(tx.coef_, base.coef_ / scale, rtol=1e-10)
    np.testing.assert_allclose(tx.std_errors_.iloc[1:], base.std_errors_.iloc[1:] / scale,
                               rtol=1e-10)
    for attr in ("rsquared_", "fvalue_", "sigma_"):
        assert getattr(tx, attr) == pytest.approx(getattr(base, attr), rel=1e-11)


def test_text_target_is_named_by_row():
    X = np.arange(8.0)[:, None]
    with pytest.raises(ValueError, match=r"^y \(the target\) must be numeric; row 2 has 'x'$"):
        LinearRegression().fit(X, ["1", "2", "x", "4", "5", "6", "7", "8"])
    fit = LinearRegression().fit(X, np.array(["1", "2", "3.5", "4", "5", "6", "7", "8"]))
    assert fit.nobs_ == 8  # numbers written as text are numbers
