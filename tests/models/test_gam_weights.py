"""GAM sample weights are prior weights (R's glm, mgcv): row i has dispersion phi / w_i, n counts
the rows of positive weight, and rows of weight 0 count nowhere."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from reglab.core.families import Tweedie, get_family
from reglab.models import _gam_fit
from reglab.models.gam import GAM, f, l, s
from reglab.models.glm import GLM


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def _smooth_data(rng, n=240, family="gaussian"):
    X = pd.DataFrame({"x1": rng.uniform(size=n), "x2": rng.uniform(size=n),
                      "x3": rng.normal(size=n)})
    eta = np.sin(2 * np.pi * X.x1) + np.exp(1.5 * X.x2) / 2 + 0.3 * X.x3
    if family == "gamma":
        y = rng.gamma(4.0, np.exp(eta) / 4.0)
    else:
        y = 1.0 + eta + 0.4 * rng.normal(size=n)
    return X, y, rng.uniform(0.2, 3.0, size=n)


def _se(m):
    return np.sqrt(np.diag(m.Vp_))


@pytest.mark.parametrize("family, link, method", [
    ("gaussian", None, "reml"), ("gaussian", None, "gcv"), ("gamma", "log", "reml"),
    ("gamma", "log", "gcv")])
@pytest.mark.parametrize("c", [0.01, 100.0])
def test_scaling_all_weights_changes_no_estimate(rng, family, link, method, c):
    # Estimated-scale families: w -> c w changes no coefficient, SE, edf or test; the smoothing
    # parameter and the scale are on the weighted deviance's scale, so both scale by c (as
    # mgcv's sp and scale). Tolerance 1e-7 relative (coefficients: to the largest one). Measured:
    # REML and the gamma fits agree to ~1e-12; Gaussian GCV to ~5e-8 in lambda, 2e-8 in SEs
    # (where L-BFGS-B stops on the GCV surface is decided by rounding).
    X, y, w = _smooth_data(rng, family=family)
    terms = [s("x1", k=10), s("x2", k=8), l("x3")]
    a = GAM(terms, family=family, link=link, method=method).fit(X, y, w)
    b = GAM(terms, family=family, link=link, method=method).fit(X, y, c * w)
    tol = dict(rtol=1e-7, atol=0.0)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=0, atol=1e-7 * np.abs(a.coef_).max())
    np.testing.assert_allclose(b.intercept_, a.intercept_, **tol)
    np.testing.assert_allclose(_se(b), _se(a), **tol)
    np.testing.assert_allclose(b.coef_table().iloc[:, 1:].to_numpy(),
                               a.coef_table().iloc[:, 1:].to_numpy(), **tol)
    np.testing.assert_allclose(list(b.edf_.values()), list(a.edf_.values()), **tol)
    np.testing.assert_allclose(b.lam_, c * a.lam_, **tol)
    np.testing.assert_allclose(b.scale_, c * a.scale_, **tol)
    np.testing.assert_allclose(b.df_resid_, a.df_resid_, **tol)
    assert a.df_resid_ == pytest.approx(len(y) - a.edf_total_, rel=1e-12)
    np.testing.assert_allclose(b.smooth_table().to_numpy(), a.smooth_table().to_numpy(), **tol)
    np.testing.assert_allclose([b.deviance_explained_, b.r2_adj_],
                               [a.deviance_explained_, a.r2_adj_], **tol)
    # REML carries -sum(log w)/2 (the prior-weight likelihood): invariant; GCV scales by c
    np.testing.assert_allclose(b.score_, a.score_ * (c if method == "gcv" else 1.0), **tol)
    lo, hi = (m.partial_dependence("x1", grid_size=20)[["lwr", "upr"]].to_numpy() for m in (a, b))
    np.testing.assert_allclose(hi, lo, **tol)
    pa, pb = (m.predict(X.iloc[:20], interval="confidence").to_numpy() for m in (a, b))
    np.testing.assert_allclose(pb, pa, **tol)
    if family == "gaussian":  # precision-weight likelihood: AIC invariant too
        np.testing.assert_allclose(b.aic_, a.aic_, **tol)


def test_known_scale_weights_count_like_r(rng):
    # Poisson (scale 1): a prior weight multiplies the log-likelihood (R's glm, mgcv), so w -> 4 w
    # at lam -> 4 lam gives the same coefficients and half the standard errors (1e-8).
    X, _, w = _smooth_data(rng)
    y = rng.poisson(np.exp(0.5 + np.sin(2 * np.pi * X.x1)))
    a = GAM([s("x1")], family="poisson", lam=2.0, tol=1e-12).fit(X, y, w)
    b = GAM([s("x1")], family="poisson", lam=8.0, tol=1e-12).fit(X, y, 4 * w)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-8)
    np.testing.assert_allclose(_se(b), _se(a) / 2, rtol=1e-8)
    assert b.df_resid_ == pytest.approx(a.df_resid_, rel=1e-10)


def _linear_data(rng, n=150):
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(size=n)})
    return X, rng.uniform(0.3, 4.0, size=n), 0.3 + 0.4 * X.x1 - 0.5 * X.x2


@pytest.mark.parametrize("family", ["gaussian", "poisson", "gamma"])
def test_no_smooths_equal_statsmodels_weighted_fit(rng, family):
    # A GAM of linear terms is the weighted GLM: statsmodels WLS (gaussian) and
    # GLM(var_weights=w) (poisson, gamma with log link): coefficients, SEs, scale and df_resid
    # to 1e-8 (coefficients: relative to the largest, as IRLS stops on the deviance, which pins
    # the gamma fit to ~1e-8 of it); AIC as reglab's GLM computes it (R's aic with prior
    # weights) to 1e-8.
    X, w, eta = _linear_data(rng)
    Xc = sm.add_constant(X.to_numpy())
    link = "log" if family == "gamma" else None
    if family == "gaussian":
        y = eta + rng.normal(size=len(w)) / np.sqrt(w)
        ref = sm.WLS(y, Xc, weights=w).fit()
    else:
        y = (rng.poisson(np.exp(eta)) if family == "poisson"
             else rng.gamma(3.0, np.exp(eta) / 3.0))
        fam = sm.families.Poisson() if family == "poisson" else sm.families.Gamma(
            sm.families.links.Log())
        ref = sm.GLM(y, Xc, family=fam, var_weights=w).fit(tol=1e-13)
    gam = GAM([l("x1"), l("x2")], family=family, link=link, tol=1e-16).fit(X, y, w)
    tab = gam.coef_table()
    np.testing.assert_allclose(tab.iloc[:, 0], ref.params, rtol=0,
                               atol=1e-8 * np.abs(ref.params).max())
    np.testing.assert_allclose(tab.iloc[:, 1], ref.bse, rtol=1e-8)
    np.testing.assert_allclose(gam.scale_, ref.scale, rtol=1e-8)
    np.testing.assert_allclose(gam.df_resid_, ref.df_resid, rtol=1e-8)
    glm = GLM(family=family, link=link, tol=1e-14).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(gam.aic_, glm.aic_, rtol=1e-8)
    np.testing.assert_allclose(gam.deviance_, glm.deviance_, rtol=1e-8)
    if family == "gaussian":  # WLS's likelihood has the same +sum(log w)/2; it counts no scale df
        np.testing.assert_allclose(gam.aic_, ref.aic + 2.0, rtol=1e-8)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_zero_weight_rows_count_nowhere(rng, family):
    # Rows of weight 0 (here outside the others' x range and with a factor level of their own)
    # give exactly the fit on the other rows: same knots, centring, levels, lambda, everything.
    X, y, w = _smooth_data(rng, n=200)
    X["g"] = rng.choice(["a", "b", "c"], size=len(y))
    if family == "poisson":
        y = rng.poisson(np.exp(0.5 + np.sin(2 * np.pi * X.x1)))
    extra = X.iloc[:15].copy()
    extra["x1"] += 1.5
    extra["g"] = "zzz"
    Xz = pd.concat([extra, X], ignore_index=True)
    yz = np.concatenate([np.asarray(y)[:15] + 3.0, y])
    wz = np.concatenate([np.zeros(15), w])
    terms = [s("x1", k=10), s("x2", k=8), l("x3"), f("g")]
    a = GAM(terms, family=family).fit(X, y, w)
    b = GAM(terms, family=family).fit(Xz, yz, wz)
    for name in ("coef_", "intercept_", "lam_", "Vp_", "scale_", "df_resid_", "aic_",
                 "score_", "deviance_", "null_deviance_", "r2_adj_", "n_samples_"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    assert b.edf_ == a.edf_ and b.smooth_tests_ == a.smooth_tests_ and b.n_samples_ == len(y)
    np.testing.assert_array_equal(b.predict(X), a.predict(X))
    # the default terms (k from the distinct values) see only the weighted rows too
    d = GAM(k=6, family=family).fit(Xz[["x1", "x2"]], yz, wz)
    e = GAM(k=6, family=family).fit(X[["x1", "x2"]], y, w)
    np.testing.assert_array_equal(d.coef_, e.coef_)


@pytest.mark.parametrize("family, link", [("gaussian", None), ("gamma", "log")])
def test_scale_is_weighted_pearson_over_positive_rows(rng, family, link):
    # scale_ = sum(w (y - mu)^2 / V(mu)) / (n_pos - edf), recomputed from the fitted values
    # (1e-10), with some rows of weight 0 in the data.
    X, y, w = _smooth_data(rng, family=family)
    w[::7] = 0.0
    gam = GAM([s("x1"), s("x2", k=8), l("x3")], family=family, link=link).fit(X, y, w)
    mu = gam.predict(X)
    n_pos = int(np.count_nonzero(w > 0))
    fam = get_family(family, link=link)
    expect = np.sum(w * (y - mu) ** 2 / fam.variance(mu)) / (n_pos - gam.edf_total_)
    assert gam.scale_ == pytest.approx(expect, rel=1e-10)
    assert gam.df_resid_ == pytest.approx(n_pos - gam.edf_total_, rel=1e-12)
    assert gam.n_samples_ == n_pos
    assert f"n = {n_pos}" in gam.summary()


def test_small_weights_keep_positive_df(rng):
    # weights summing to less than the edf: the residual df counts rows, not weight
    X, y, w = _smooth_data(rng, n=120)
    gam = GAM([s("x1"), s("x2")]).fit(X, y, w / w.sum() * 0.5)
    assert gam.df_resid_ == pytest.approx(120 - gam.edf_total_, rel=1e-12)
    assert 0 < gam.df_resid_ < 120
    assert np.all(_se(gam) < 1.0)


@pytest.mark.parametrize("family, ref", [
    ("gamma", lambda y, mu, a: stats.gamma.logpdf(y, a, scale=mu / a)),
    ("inverse_gaussian", lambda y, mu, a: stats.invgauss.logpdf(y, mu / a, scale=a)),
    ("gaussian", lambda y, mu, a: stats.norm.logpdf(y, mu, 1.0 / np.sqrt(a))),
    (Tweedie(power=2.0), lambda y, mu, a: stats.gamma.logpdf(y, a, scale=mu / a))])
def test_prior_weight_loglik_equals_scipy(rng, family, ref):
    # REML's (score_) log-likelihood: row i has dispersion phi / w_i (precision a_i = w_i / phi);
    # rows of weight 0 drop out. scipy's densities, 1e-12. (Tweedie(2) takes the per-weight path.)
    n = 60
    y, mu = rng.uniform(0.5, 3.0, size=n), rng.uniform(0.5, 3.0, size=n)
    w = rng.uniform(0.2, 3.0, size=n)
    w[:5] = 0.0
    fam = get_family(family)
    eng = _gam_fit.Engine(np.ones((n, 1)), y, w, fam, _gam_fit.Penalties([], 2))
    pos = w > 0
    for phi in (0.3, 2.0):
        expect = ref(y[pos], mu[pos], w[pos] / phi).sum()
        assert eng._loglik(mu, phi) == pytest.approx(expect, rel=1e-12)
    pois = _gam_fit.Engine(np.ones((n, 1)), np.round(y), w, get_family("poisson"),
                           _gam_fit.Penalties([], 2))  # known scale: the weight multiplies
    assert pois._loglik(mu, 1.0) == pytest.approx(
        np.sum(w * stats.poisson.logpmf(np.round(y), mu)), rel=1e-12)


def test_one_positive_weight_is_refused_by_row(rng):
    X, y, _ = _smooth_data(rng, n=20)
    w = np.zeros(20)
    w[3] = 1.0
    with pytest.raises(ValueError, match="^only row 3 has a positive sample_weight; a GAM needs "
                                         "at least 2 such rows$"):
        GAM().fit(X, y, w)


def test_weighted_reml_score_is_the_prior_weight_laplace_reml(rng):
    # score_ of a weighted Gaussian REML fit, evaluated directly with the user's weights at lam_
    # (Wood 2011, phi profiled): (n - Mp)/2 (1 + log(2 pi phi)) - sum(log w)/2
    # + (log|X'WX + S| - log|S|_+)/2, phi = (D + b'Sb) / (n - Mp); n = rows of positive weight.
    X, y, w = _smooth_data(rng)
    w[::5] = 0.0
    gam = GAM([s("x1", k=10), s("x2", k=8), l("x3")], method="reml").fit(X, y, 7.0 * w)
    pos = w > 0
    ww = 7.0 * w[pos]
    D = np.column_stack([np.ones(pos.sum()), gam._design(X.to_numpy(dtype=object)[pos])])
    S = np.zeros((D.shape[1],) * 2)
    j = 0
    for t, sl in zip(gam.terms_, gam.slices_):
        for Sj in t.penalties:
            S[sl, sl] += gam.lam_[j] * Sj
            j += 1
    beta = np.concatenate([[gam.intercept_], gam.coef_])
    r = np.asarray(y)[pos] - D @ beta
    ev = np.linalg.eigvalsh(S)
    rank = int(np.sum(ev > ev.max() * 1e-11))
    n, Mp = pos.sum(), D.shape[1] - rank
    phi = (ww @ (r * r) + beta @ S @ beta) / (n - Mp)
    expect = (0.5 * (n - Mp) * (1 + np.log(2 * np.pi * phi)) - 0.5 * np.log(ww).sum()
              + 0.5 * (np.linalg.slogdet(D.T @ (ww[:, None] * D) + S)[1]
                       - np.log(np.sort(ev)[-rank:]).sum()))
    assert gam.score_ == pytest.approx(expect, rel=1e-9)
