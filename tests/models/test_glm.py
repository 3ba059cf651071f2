"""GLM over every family and link (against statsmodels at full convergence), weights, offsets,
residuals, prediction intervals, negative binomial, bad input. R's numbers: test_glm_r.py."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.special import ndtr
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from reglab.models.glm import GLM, NegativeBinomial
from reglab.models.logistic import LogisticRegression
from reglab.solvers.irls import RankDeficientError

L = sm.families.links
# Converge fully on both sides so that the comparison is about the statistics. Both stop on the
# relative deviance change, which bounds the coefficient error only by ~sqrt(tol): with the
# linear convergence of Fisher scoring for non-canonical links, ~3e-8 relative differences
# remain, hence rtol 1e-7 on coefficients.
TIGHT = 1e-13

# (family, link, statsmodels family, true eta intercept / slopes)
CASES = [
    ("gaussian", "identity", sm.families.Gaussian(L.Identity()), (1.0, [1.0, -0.5])),
    ("gaussian", "log", sm.families.Gaussian(L.Log()), (1.0, [0.5, -0.3])),
    ("gaussian", "inverse", sm.families.Gaussian(L.InversePower()), (0.5, [0.2, 0.1])),
    ("binomial", "logit", sm.families.Binomial(L.Logit()), (-0.3, [1.0, -1.0])),
    ("binomial", "probit", sm.families.Binomial(L.Probit()), (-0.3, [0.8, -0.6])),
    ("binomial", "cloglog", sm.families.Binomial(L.CLogLog()), (-0.5, [0.8, -0.6])),
    ("poisson", "log", sm.families.Poisson(L.Log()), (0.5, [1.0, -0.5])),
    ("poisson", "sqrt", sm.families.Poisson(L.Sqrt()), (1.5, [0.8, 0.4])),
    ("poisson", "identity", sm.families.Poisson(L.Identity()), (3.0, [2.0, 1.0])),
    ("gamma", "inverse", sm.families.Gamma(L.InversePower()), (0.5, [0.2, 0.1])),
    ("gamma", "log", sm.families.Gamma(L.Log()), (0.5, [1.0, -0.5])),
    ("gamma", "identity", sm.families.Gamma(L.Identity()), (2.0, [1.0, 0.5])),
    ("inverse_gaussian", "inverse_squared", sm.families.InverseGaussian(L.InverseSquared()),
     (0.5, [0.2, 0.1])),
    ("inverse_gaussian", "log", sm.families.InverseGaussian(L.Log()), (0.3, [0.5, -0.2])),
]


def _simulate(family, link, beta, n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n, 2))
    eta = beta[0] + X @ np.asarray(beta[1])
    inverse_link = {"identity": lambda e: e, "log": np.exp, "inverse": lambda e: 1 / e,
                    "logit": lambda e: 1 / (1 + np.exp(-e)), "probit": ndtr,
                    "cloglog": lambda e: 1 - np.exp(-np.exp(e)), "sqrt": lambda e: e**2,
                    "inverse_squared": lambda e: 1 / np.sqrt(e)}
    mu = inverse_link[link](eta)
    y = {"gaussian": lambda: mu + 0.2 * rng.standard_normal(n),
         "binomial": lambda: (rng.random(n) < mu).astype(float),
         "poisson": lambda: rng.poisson(mu).astype(float),
         "gamma": lambda: rng.gamma(5.0, mu / 5.0),
         "inverse_gaussian": lambda: rng.wald(mu, 5.0)}[family]()
    return pd.DataFrame(X, columns=["a", "b"]), y


@pytest.mark.parametrize("family,link,smfam,beta", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_family_and_link_matches_statsmodels(family, link, smfam, beta):
    X, y = _simulate(family, link, beta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' DomainWarning for non-canonical links
        ref = sm.GLM(y, sm.add_constant(X), family=smfam).fit(tol=TIGHT, maxiter=500)
    m = GLM(family=family, link=link, tol=TIGHT, max_iter=500).fit(X, y)
    assert m.converged_
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(m.std_errors_.to_numpy(), ref.bse.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.deviance_, ref.deviance, rtol=1e-9)
    np.testing.assert_allclose(m.null_deviance_, ref.null_deviance, rtol=1e-8)
    np.testing.assert_allclose(m.pearson_chi2_, ref.pearson_chi2, rtol=1e-8)
    np.testing.assert_allclose(m.dispersion_, ref.scale, rtol=1e-8)
    for kind, attr in [("deviance", "resid_deviance"), ("pearson", "resid_pearson"),
                       ("response", "resid_response"), ("working", "resid_working")]:
        np.testing.assert_allclose(m.residuals(kind), getattr(ref, attr), rtol=1e-6, atol=1e-8)


def test_tweedie_and_fixed_negative_binomial_match_statsmodels():
    X, y = _simulate("poisson", "log", (0.5, [1.0, -0.5]))
    for ours, theirs in [
        (GLM(family="tweedie", link="log", family_params={"power": 1.5}, tol=TIGHT),
         sm.families.Tweedie(var_power=1.5, link=L.Log())),
        (GLM(family="negative_binomial", family_params={"alpha": 0.5}, tol=TIGHT),
         sm.families.NegativeBinomial(alpha=0.5)),
    ]:
        ref = sm.GLM(y, sm.add_constant(X), family=theirs).fit(tol=TIGHT)
        ours.fit(X, y)
        np.testing.assert_allclose(ours.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
        np.testing.assert_allclose(ours.std_errors_.to_numpy(), ref.bse.to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.deviance_, ref.deviance, rtol=1e-9)


def test_prior_weights_are_frequency_weights_and_match_statsmodels():
    X, y = _simulate("gamma", "log", (0.5, [1.0, -0.5]), n=120)
    w = np.random.default_rng(1).integers(1, 4, size=len(y)).astype(float)
    m = GLM(family="gamma", link="log", tol=TIGHT).fit(X, y, sample_weight=w)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Gamma(L.Log()),
                 var_weights=w).fit(tol=TIGHT)
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(m.std_errors_.to_numpy(), ref.bse.to_numpy(), rtol=1e-6)
    # integer weights = repeating rows: identical coefficients and deviance
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    m2 = GLM(family="gamma", link="log", tol=TIGHT).fit(X.iloc[rep], y[rep])
    np.testing.assert_allclose(m2.params_.to_numpy(), m.params_.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(m2.deviance_, m.deviance_, rtol=1e-10)


def test_varying_offset_and_prediction_interval_match_statsmodels():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.standard_normal((300, 2)), columns=["a", "b"])
    expo = rng.uniform(0.5, 5.0, 300)
    y = rng.poisson(expo * np.exp(0.2 + X.to_numpy() @ [0.5, -0.3])).astype(float)
    m = GLM(family="poisson", tol=TIGHT).fit(X, y, exposure=expo)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 exposure=expo).fit(tol=TIGHT)
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(m.null_deviance_, ref.null_deviance, rtol=1e-9)
    np.testing.assert_allclose(m.aic_, ref.aic, rtol=1e-10)
    Xn = X.iloc[:5]
    ci = m.predict(Xn, exposure=expo[:5], interval="confidence")
    sf = ref.get_prediction(sm.add_constant(X).iloc[:5], exposure=expo[:5]).summary_frame()
    np.testing.assert_allclose(ci["fit"], sf["mean"], rtol=1e-9)
    np.testing.assert_allclose(ci["se_fit"], sf["mean_se"], rtol=1e-7)  # delta method
    np.testing.assert_allclose(ci["lwr"], sf["mean_ci_lower"], rtol=1e-7)
    np.testing.assert_allclose(ci["upr"], sf["mean_ci_upper"], rtol=1e-7)
    with pytest.raises(ValueError, match="prediction intervals need the gaussian family"):
        m.predict(Xn, exposure=expo[:5], interval="prediction")
    with pytest.raises(ValueError, match="interval must be None, 'confidence' or 'prediction'"):
        m.predict(Xn, interval="credible")
    with pytest.raises(ValueError, match="exposure needs the log link .the identity link"):
        GLM(family="gaussian").fit(X, y, exposure=expo)
    with pytest.raises(ValueError, match="exposure needs the log link"):
        GLM(family="poisson", link="sqrt").fit(X, y).predict(Xn, exposure=expo[:5])


def test_gaussian_glm_intervals_are_the_linear_models():
    """Gaussian family, identity link: the confidence and prediction bands are OLS's (t
    quantiles, sigma^2 = the Pearson dispersion), as statsmodels' get_prediction gives them."""
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = 1.0 + X.a - 0.5 * X.b + rng.normal(scale=0.7, size=60)
    m = GLM(family="gaussian", tol=TIGHT).fit(X, y)
    sf = sm.OLS(y, sm.add_constant(X)).fit().get_prediction(
        sm.add_constant(X).iloc[:4]).summary_frame(alpha=0.1)
    conf = m.predict(X.iloc[:4], interval="confidence", level=0.9)
    pred = m.predict(X.iloc[:4], interval="prediction", level=0.9)
    np.testing.assert_allclose(conf[["lwr", "upr"]], sf[["mean_ci_lower", "mean_ci_upper"]],
                               rtol=1e-9)
    np.testing.assert_allclose(pred[["lwr", "upr"]], sf[["obs_ci_lower", "obs_ci_upper"]],
                               rtol=1e-9)
    assert (pred.index == X.index[:4]).all()
    # a log link: the mean's band is asymmetric; each side is widened by t sqrt(phi), so the
    # prediction band holds the confidence band at every level
    pos = np.exp(0.5 + 0.2 * X.a + rng.normal(scale=0.05, size=60))
    m = GLM(family="gaussian", link="log", tol=TIGHT).fit(X, pos)
    for level in (0.5, 0.9, 0.99):
        conf = m.predict(X.iloc[:10], interval="confidence", level=level)
        pred = m.predict(X.iloc[:10], interval="prediction", level=level)
        assert (pred.lwr < conf.lwr).all() and (conf.upr < pred.upr).all()
        noise = stats.t.ppf(0.5 + level / 2, m.df_resid_) ** 2 * m.dispersion_
        np.testing.assert_allclose(pred.upr - pred.fit, np.sqrt((conf.upr - conf.fit) ** 2
                                                                + noise), rtol=1e-12)


def test_wald_test_matches_statsmodels():
    X, y = _simulate("poisson", "log", (0.5, [1.0, -0.5]))
    m = GLM(family="poisson", tol=TIGHT).fit(X, y)
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=TIGHT)
    R = np.array([[0, 1, 0], [0, 0, 1]])
    w = m.wald_test(R)
    r = ref.wald_test(R, scalar=True, use_f=False)
    np.testing.assert_allclose(w["statistic"], r.statistic, rtol=1e-8)
    np.testing.assert_allclose(w["pvalue"], r.pvalue, rtol=1e-6)
    one = m.wald_test([0, 1, 0])  # a single restriction is the squared z value
    np.testing.assert_allclose(one["statistic"], m.stat_.iloc[1] ** 2, rtol=1e-12)


def test_summary_formula_and_penalty():
    X, y = _simulate("poisson", "log", (0.5, [1.0, -0.5]))
    df = X.assign(y=y)
    f = GLM.from_formula("y ~ a + np.log(b)", df, family="poisson")
    m = GLM(family="poisson").fit(X.assign(b=np.log(X["b"])), y)
    np.testing.assert_allclose(f.params_.to_numpy(), m.params_.to_numpy(), rtol=1e-12)
    assert list(f.params_.index) == ["Intercept", "a", "np.log(b)"]
    np.testing.assert_allclose(f.predict(df.iloc[:3]), m.fitted_values_[:3], rtol=1e-12)
    text = m.summary()
    for part in ("Null deviance", "Residual deviance", "AIC", "Fisher Scoring iterations",
                 "Intercept", "Pr(>|z|)"):
        assert part in text
    from sklearn.linear_model import PoissonRegressor
    pen = GLM(family="poisson", alpha=0.05, tol=TIGHT).fit(X, y)
    sk = PoissonRegressor(alpha=0.05, tol=1e-12, max_iter=1000, solver="newton-cholesky")
    sk.fit(X, y)
    np.testing.assert_allclose(pen.coef_, sk.coef_, rtol=1e-7)
    np.testing.assert_allclose(pen.intercept_, sk.intercept_, rtol=1e-7)


def test_negative_binomial_estimates_alpha_like_statsmodels_ml():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.standard_normal((800, 2)), columns=["a", "b"])
    mu = np.exp(1.0 + X.to_numpy() @ [0.4, -0.3])
    theta = 2.0
    y = rng.negative_binomial(theta, theta / (theta + mu)).astype(float)
    m = NegativeBinomial(tol=1e-12).fit(X, y)
    ref = sm.NegativeBinomial(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-14,
                                                         maxiter=200)
    # MASS-style alternation vs statsmodels' joint Newton: the same MLE, ~4e-8 apart after the
    # deviance-based stopping rules (see TIGHT)
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params.to_numpy()[:-1], rtol=2e-7)
    np.testing.assert_allclose(m.family_.alpha, ref.params.iloc[-1], rtol=1e-6)
    np.testing.assert_allclose(m.llf_, ref.llf, rtol=1e-10)
    assert m.alpha_nb_ == m.family_.alpha
    fixed = NegativeBinomial(nb_alpha=m.alpha_nb_, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(fixed.params_.to_numpy(), m.params_.to_numpy(), rtol=1e-7)
    assert fixed.aic_ == pytest.approx(m.aic_ - 2)  # alpha counted only when estimated


def test_negative_binomial_poisson_limit_is_clean():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.standard_normal((500, 2)), columns=["a", "b"])
    y = rng.poisson(np.exp(0.3 + X.to_numpy() @ [0.5, 0.2])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no convergence or runtime warnings on the boundary
        m = NegativeBinomial().fit(X, y)
    pois = GLM(family="poisson").fit(X, y)
    # underdispersed-or-equal sample: the profile likelihood decreases in alpha from 0
    assert m.alpha_nb_ == 0.0
    np.testing.assert_allclose(m.params_.to_numpy(), pois.params_.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(m.llf_, pois.llf_, rtol=1e-12)
    assert m.aic_ == pytest.approx(pois.aic_ + 2)


@pytest.mark.parametrize("bad,match", [
    ("nan_X", r"NaN or inf.*row 3, column 'b'"),
    ("inf_y", r"y must be finite.*row 5"),
    ("constant", r"'c'.*constant, duplicated"),
    ("duplicate", r"'d'.*constant, duplicated"),
    ("too_few", r"fewer than the 3 coefficients"),
    ("negative_count", r"-1"),
])
def test_bad_input_is_refused_with_named_location(bad, match):
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.standard_normal((50, 2)), columns=["a", "b"])
    y = rng.poisson(2.0, 50).astype(float)
    if bad == "nan_X":
        X.iloc[3, 1] = np.nan
    elif bad == "inf_y":
        y[5] = np.inf
    elif bad == "constant":
        X["c"] = 4.0
    elif bad == "duplicate":
        X["d"] = X["a"]
    elif bad == "too_few":
        X, y = X.iloc[:2], y[:2]
    elif bad == "negative_count":
        y[7] = -1
    m = GLM(family="poisson")
    with pytest.raises(ValueError, match=match):
        m.fit(X, y)
    assert not hasattr(m, "params_")


@pytest.mark.parametrize("family,value", [("binomial", 1.5), ("gamma", 0.0),
                                          ("inverse_gaussian", -1.0)])
def test_response_outside_family_range(family, value):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((40, 2))
    y = rng.uniform(0.2, 0.8, 40)
    y[11] = value
    with pytest.raises(ValueError, match="11"):
        GLM(family=family).fit(X, y)


def test_failed_fit_leaves_fitted_model_unchanged_and_nonconvergence_warns():
    X, y = _simulate("poisson", "log", (0.5, [1.0, -0.5]))
    m = GLM(family="poisson").fit(X, y)
    before = m.params_.copy()
    Xbad = X.copy()
    Xbad.iloc[0, 0] = np.inf
    with pytest.raises(ValueError):
        m.fit(Xbad, y)
    pd.testing.assert_series_equal(m.params_, before)
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations"):
        short = GLM(family="poisson", max_iter=1).fit(X, y)
    assert not short.converged_ and "NOT converged" in short.summary()


def test_rank_deficiency_error_carries_columns():
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.standard_normal((30, 3)), columns=["a", "b", "c"])
    X["c"] = X["a"] + 2 * X["b"]
    with pytest.raises(RankDeficientError) as err:
        GLM(family="gaussian").fit(X, rng.standard_normal(30))
    assert err.value.columns == [2] and "'c'" in str(err.value)


def test_negative_binomial_subsample_start_gives_the_same_fit(monkeypatch):
    import reglab.models._negbin as G

    rng = np.random.default_rng(7)
    X = rng.standard_normal((3000, 3)) * 0.5
    mu = np.exp(0.4 + X @ [0.5, -0.3, 0.2])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    ref = NegativeBinomial().fit(X, y)  # R's mustart (below the subsample threshold)
    monkeypatch.setattr(G, "_NB_SUBSAMPLE_MIN_ROWS", 1000)
    warm = NegativeBinomial().fit(X, y)  # starts from the fit on 1/16 of the rows
    assert warm.n_passes_ < ref.n_passes_
    np.testing.assert_allclose(warm.params_, ref.params_, rtol=1e-8)
    np.testing.assert_allclose(warm.std_errors_, ref.std_errors_, rtol=1e-8)
    np.testing.assert_allclose(warm.alpha_nb_, ref.alpha_nb_, rtol=1e-8)
    np.testing.assert_allclose(warm.llf_, ref.llf_, rtol=1e-12)


def test_glm_negative_binomial_by_name_estimates_alpha_like_glm_nb():
    # issue 4: family "negative_binomial" estimates alpha by ML by default (MASS::glm.nb), and is
    # the same fit as the NegativeBinomial estimator; family_params fixes it on request
    import statsmodels.api as sm

    from reglab.models.glm import NegativeBinomial

    d = sm.datasets.randhie.load_pandas()
    X, y = d.exog.iloc[:1500], d.endog.iloc[:1500]
    by_name = GLM(family="negative_binomial").fit(X, y)
    nb = NegativeBinomial().fit(X, y)
    assert by_name.family_.alpha == nb.family_.alpha and by_name.family_.alpha != 1.0
    np.testing.assert_array_equal(by_name.params_, nb.params_)
    np.testing.assert_array_equal(by_name.std_errors_, nb.std_errors_)
    assert by_name.aic_ == nb.aic_ and by_name.alpha_estimated_
    assert "estimated by ML" in by_name.summary()
    fixed = GLM(family="negative_binomial", family_params={"alpha": 0.5}).fit(X, y)
    assert fixed.family_.alpha == 0.5 and not fixed.alpha_estimated_
    assert "alpha = 0.5 fixed" in fixed.summary()
    assert np.isfinite(fixed.aic_)


def test_negative_binomial_large_data_start_equals_the_tight_fit(monkeypatch):
    # >= 50,000 rows: a subsample start with its rescaled information (quasi-Newton passes) and
    # alpha settled by the Aitken estimate of the error left; the same fit as a tight one
    import reglab.models._negbin as G

    rng = np.random.default_rng(3)
    X = rng.standard_normal((60_000, 3)) * 0.4
    mu = np.exp(0.3 + X @ [0.4, -0.3, 0.2])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    fast = NegativeBinomial().fit(X, y)
    monkeypatch.setattr(G, "_NB_SUBSAMPLE_MIN_ROWS", 10**9)
    tight = NegativeBinomial(tol=1e-12).fit(X, y)
    assert fast.converged_ and fast.n_passes_ < tight.n_passes_
    np.testing.assert_allclose(fast.params_, tight.params_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fast.alpha_nb_, tight.alpha_nb_, rtol=1e-8)
    np.testing.assert_allclose(fast.llf_, tight.llf_, rtol=1e-12)
    np.testing.assert_allclose(fast.std_errors_, tight.std_errors_, rtol=1e-4)  # R's rule


def test_negative_binomial_tight_tol_settles_at_a_large_theta():
    # theta ~ 40: the likelihood is flat in theta and its Newton step jitters at ~1e-11
    # relative; a tight tol must settle on that rounding floor, not warn after max_outer rounds
    rng = np.random.default_rng(0)
    n = 60_000
    X = rng.standard_normal((n, 3)) * 0.3
    mu = np.exp(0.5 + X @ [0.4, -0.3, 0.2])
    y = rng.negative_binomial(50, 50 / (50 + mu)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        tight = NegativeBinomial(tol=1e-12).fit(X, y)
        default = NegativeBinomial().fit(X, y)
    np.testing.assert_allclose(default.alpha_nb_, tight.alpha_nb_, rtol=1e-8)
    np.testing.assert_allclose(default.params_, tight.params_, rtol=0, atol=1e-8)


def test_poisson_summary_notes_over_dispersion_only_when_the_data_show_it():
    rng = np.random.default_rng(4)
    n = 400
    X = rng.normal(size=(n, 2))
    mu = np.exp(1.0 + 0.4 * X[:, 0])
    y_nb = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))  # Var = mu + mu^2 / 2
    y_pois = rng.poisson(mu)
    over = GLM(family="poisson").fit(X, y_nb)
    text = over.summary()
    ratio = over.pearson_chi2_ / over.df_resid_
    assert ratio > 1.5
    assert f"NOTE: Pearson chi-square / df = {ratio:.3g}" in text
    assert "negative binomial fit" in text
    assert "NOTE: Pearson" not in GLM(family="poisson").fit(X, y_pois).summary()
    # the negative binomial model itself, even at its Poisson limit, gets no such note
    assert "NOTE: Pearson" not in NegativeBinomial().fit(X, y_nb).summary()
    assert "NOTE: Pearson" not in NegativeBinomial().fit(X, y_pois).summary()
    # Poisson counts with frequency weights 3: Pearson X^2 triples against R's rows - p df,
    # a ratio of ~3 that says nothing about over-dispersion, so weighted fits get no note
    weighted = GLM(family="poisson").fit(X, y_pois, sample_weight=np.full(n, 3.0))
    assert weighted.pearson_chi2_ / weighted.df_resid_ > 2.5 and weighted.weighted_
    assert "NOTE: Pearson" not in weighted.summary()


def test_score_takes_the_rows_exposure_and_r_null_model():
    """score() on counts over exposures: the deviance explained against R's null model (the
    intercept with the rows' offset). On the training rows 1 - deviance_ / null_deviance_ (1e-12);
    through scikit-learn's metadata routing in cross_val_score, each fold's score equals
    statsmodels' fits on that fold (model and offset-only null, 1e-7). Without the exposure the
    counts would be scored as rates: refused."""
    import sklearn
    import statsmodels.api as sm
    from sklearn.model_selection import KFold, cross_val_score

    rng = np.random.default_rng(15)
    X = pd.DataFrame({"a": rng.normal(size=200)})
    ex = rng.uniform(1, 100, 200)
    y = rng.poisson(ex * np.exp(-2 + 0.3 * X.a))
    m = GLM().fit(X, y, exposure=ex)
    assert m.score(X, y, exposure=ex) == pytest.approx(1 - m.deviance_ / m.null_deviance_,
                                                       rel=1e-12)
    assert m.score(X, y, offset=np.log(ex)) == pytest.approx(m.score(X, y, exposure=ex),
                                                             rel=1e-14)
    with pytest.raises(ValueError, match=r"this GLM was fitted with an offset or exposure: pass "
                                         r"the scored rows' offset= or exposure= to score\(\)"):
        m.score(X, y)
    folds = KFold(4, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = GLM().set_fit_request(exposure=True).set_score_request(exposure=True)
        got = cross_val_score(est, X, y, cv=folds, params={"exposure": ex})
    want = []
    for train, test in folds.split(X):
        fit = sm.GLM(y[train], sm.add_constant(X.iloc[train]), family=sm.families.Poisson(),
                     exposure=ex[train]).fit(tol=1e-12)
        mu = fit.predict(sm.add_constant(X.iloc[test]), exposure=ex[test])
        null = sm.GLM(y[test], np.ones(len(test)), family=sm.families.Poisson(),
                      exposure=ex[test]).fit(tol=1e-12)
        dev = sm.families.Poisson().deviance(y[test], mu)
        want.append(1 - dev / null.deviance)
    np.testing.assert_allclose(got, want, rtol=1e-7)


def test_text_and_categorical_columns_are_refused_by_name():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=30), "g": pd.Categorical(rng.integers(1, 4, 30)),
                      "t": rng.choice(["u", "v"], 30)})
    y = rng.poisson(2.0, 30)
    with pytest.raises(ValueError, match=r"^X column\(s\) \['g', 't'\] are not numeric \(text or "
                                         r"categorical\); encode them \(one-hot\) or use "
                                         r"GLM\.from_formula, which does$"):
        GLM().fit(X, y)
    with pytest.raises(ValueError, match=r"\['g'\] are not numeric .* NegativeBinomial\.from"):
        NegativeBinomial().fit(X[["a", "g"]], y)


@pytest.mark.parametrize("shift", [1e5, 1e7, 1e9])
def test_columns_far_from_zero_are_fitted_to_full_accuracy(shift):
    """A column shifted by c (a year, a timestamp) changes only the intercept, by -c b: IRLS
    centres such columns, so the slopes, their SEs, the deviance and the fitted means equal the
    unshifted fit's (1e-9 plus the data's own rounding, 10 eps c; an uncentred Gram lost
    ~log10(c^2) digits: 1.6e-4 at 1e6, and at 1e7 the column was refused as constant).
    Poisson with weights and exposure, NB with alpha by ML, Gamma, logistic; a truly constant
    column is still refused by name."""
    rng = np.random.default_rng(17)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    ex, w = rng.uniform(1, 5, n), rng.integers(1, 4, n).astype(float)
    eta = 0.3 + 0.4 * X.a - 0.2 * X.b
    cases = [(GLM(), rng.poisson(ex * np.exp(eta)), {"exposure": ex, "sample_weight": w}),
             (NegativeBinomial(), rng.negative_binomial(2, 2 / (2 + np.exp(eta))), {}),
             (GLM(family="gamma", link="log"), rng.gamma(2.0, np.exp(eta) / 2), {}),
             (LogisticRegression(), (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int), {})]
    # storing a + c rounds a by eps c: the data themselves move by that much (2e-9 at 1e7)
    rtol = 1e-9 + 10 * np.finfo(float).eps * shift
    for model, y, kw in cases:
        model.set_params(tol=1e-13)  # both fits at their optimum, whatever their paths
        ref = clone(model).fit(X, y, **kw)
        far = clone(model).fit(X.assign(a=X.a + shift), y, **kw)
        np.testing.assert_allclose(far.coef_, ref.coef_, rtol=rtol)
        np.testing.assert_allclose(far.std_errors_.iloc[1:], ref.std_errors_.iloc[1:], rtol=rtol)
        assert far.intercept_ == pytest.approx(ref.intercept_ - shift * ref.coef_[0],
                                               rel=rtol, abs=rtol * shift * abs(ref.coef_[0]))
        assert far.deviance_ == pytest.approx(ref.deviance_, rel=rtol)
        np.testing.assert_allclose(far.fitted_values_, ref.fitted_values_, rtol=rtol)
        # the intercept's variance at the shifted origin: Var(b0 - c b1) from the centred fit
        c = ref.cov_params_.to_numpy()
        var0 = c[0, 0] - 2 * shift * c[0, 1] + shift**2 * c[1, 1]
        assert far.std_errors_.iloc[0] == pytest.approx(np.sqrt(var0), rel=max(rtol, 1e-7))
        if isinstance(model, LogisticRegression):
            continue
        # the confidence band of new rows: computed in the centred coordinates of the fit
        # (from the original covariance, its shift^2 var(b) terms cancelled every digit at 1e9)
        new, kw_new = X.iloc[:10], ({"exposure": ex[:10]} if "exposure" in kw else {})
        band = far.predict(new.assign(a=new.a + shift), interval="confidence", **kw_new)
        want = ref.predict(new, interval="confidence", **kw_new)
        np.testing.assert_allclose(band.to_numpy(), want.to_numpy(), rtol=100 * rtol)
    with pytest.raises(ValueError, match=r"'k'.*constant"):
        GLM().fit(X.assign(k=1e7), cases[0][1])


def test_summary_header_names_the_family_parameters_and_the_nb_poisson_limit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1))
    tw = GLM(family="tweedie", family_params={"power": 1.5}, link="log").fit(X, rng.gamma(2, 1, 50))
    assert tw.summary().splitlines()[0] == ("Generalized linear model: family tweedie, link log "
                                            "(power = 1.5)")
    nb = NegativeBinomial().fit(X, rng.poisson(3, 50))
    assert nb.alpha_nb_ == 0
    assert nb.summary().splitlines()[0] == ("Generalized linear model: family negative_binomial "
                                            "at alpha = 0 (the Poisson limit), link log")
    with pytest.raises(ValueError, match=r"^3 observations are fewer than the 4 coefficients"):
        GLM().fit(rng.normal(size=(3, 3)), [1, 2, 3])


def test_centring_on_big_data_uses_a_sample_and_stays_exact():
    """Past 10,000 rows the shift is the mean of a ~10,000-row sample (no extra pass over X):
    any shift near the mean is an exact reparametrisation, so the slopes, SEs and deviance still
    equal the unshifted fit's (to the data's rounding at 1e6, 1e-9 + 10 eps c)."""
    rng = np.random.default_rng(8)
    n = 30_000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = rng.poisson(np.exp(0.2 + 0.3 * X.a - 0.1 * X.b))
    ref = GLM(tol=1e-13).fit(X, y)
    far = GLM(tol=1e-13).fit(X.assign(a=X.a + 1e6), y)
    rtol = 1e-9 + 10 * np.finfo(float).eps * 1e6
    np.testing.assert_allclose(far.coef_, ref.coef_, rtol=rtol)
    np.testing.assert_allclose(far.std_errors_.iloc[1:], ref.std_errors_.iloc[1:], rtol=rtol)
    assert far.deviance_ == pytest.approx(ref.deviance_, rel=rtol)
    assert far.design_shift_[0] == pytest.approx(1e6, rel=1e-6) and far.design_shift_[1] == 0


def test_ridge_fits_count_their_effective_degrees_of_freedom_in_aic():
    """Under alpha > 0, AIC/BIC charge the effective df trace(H^-1 X'WX) (a GAM's edf), not the
    coefficient count: the Gaussian one equals the ridge hat matrix's trace in closed form, the
    Poisson one trace(D (D'WD + P)^-1 D'W) with W = mu at the fit (1e-6: the information is the
    last IRLS step's); unpenalized, q."""
    rng = np.random.default_rng(0)
    n = 80
    X = rng.normal(size=(n, 3))
    D = np.column_stack([np.ones(n), X])
    y = X @ [1.0, 0.5, 0.0] + rng.normal(size=n)
    counts = rng.poisson(np.exp(0.2 + X @ [0.4, -0.2, 0.0]))
    assert GLM(family="gaussian").fit(X, y).edf_ == 4.0
    for a in (0.1, 1.0):
        P = np.diag([0.0] + [a * n] * 3)  # alpha/2 ||b||^2 on the mean half deviance
        g = GLM(family="gaussian", alpha=a).fit(X, y)
        hat = D @ np.linalg.solve(D.T @ D + P, D.T)
        assert g.edf_ == pytest.approx(np.trace(hat), rel=1e-10)
        assert g.aic_ == pytest.approx(-2 * g.llf_ + 2 * (np.trace(hat) + 1), rel=1e-12)
        assert f"{g.edf_:.4g} effective degrees of freedom for the 4 coefficients" in g.summary()
        p = GLM(alpha=a, tol=1e-12).fit(X, counts)
        W = p.fitted_values_
        want = np.trace(D @ np.linalg.solve(D.T @ (W[:, None] * D) + P, D.T * W))
        # (the information is the last IRLS step's, R's convention: ~1e-7 from the fit's own W)
        assert p.edf_ == pytest.approx(want, rel=1e-6)
        assert p.bic_ == pytest.approx(-2 * p.llf_ + np.log(n) * p.edf_, rel=1e-12)
