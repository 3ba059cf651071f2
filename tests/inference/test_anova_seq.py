"""reglab.anova(fit, data=df): R's sequential table of one model (anova.lm, anova.glm).

References: statsmodels' ``anova_lm(ols, typ=1)`` (its own QR effects) for OLS; for weighted fits
the differences of the residual sums of squares of nested statsmodels WLS fits (statsmodels
0.15's anova_lm typ=1 of a WLS fit sums the *unweighted* effects: its term rows equal the OLS
ones); for GLMs the deviances of nested statsmodels GLM fits and R's stat.anova formulas by hand.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from reglab import GLM, LinearRegression, LogisticRegression, NegativeBinomial, anova
from reglab.models.linear import AliasedColumnsWarning


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 150
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "g": rng.choice(["a", "b", "c"], n)})
    gb, gc = (df.g == "b").astype(float), (df.g == "c").astype(float)
    df["y"] = 1 + df.x1 + 0.5 * gb + 0.4 * df.x1 * gc + rng.normal(size=n)
    df["w"] = rng.uniform(0.5, 2.0, n)
    df["c"] = rng.poisson(np.exp(0.3 + 0.4 * df.x1 + 0.3 * gb))
    df["b"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-df.x1 - 0.5 * gc))).astype(int)
    df["pos"] = rng.gamma(2.0, np.exp(0.2 + 0.3 * df.x1) / 2.0)
    return df


def _check_lm(t, r):
    r = r.rename(index={"Residual": "Residuals"})
    assert list(t.index) == list(r.index)
    assert list(t.columns) == ["Df", "Sum Sq", "Mean Sq", "F value", "Pr(>F)"]
    for a, b in (("Df", "df"), ("Sum Sq", "sum_sq"), ("Mean Sq", "mean_sq"),
                 ("F value", "F"), ("Pr(>F)", "PR(>F)")):
        np.testing.assert_allclose(t[a], r[b], rtol=1e-10, equal_nan=True)


def test_lm_factor_and_interaction_match_statsmodels_anova_lm(data):
    # a formula whose term order statsmodels (0.15) keeps as formulaic and R do
    f = "y ~ g + x2 + x1 + x1:g"
    m = LinearRegression.from_formula(f, data)
    _check_lm(m.anova(data), anova_lm(smf.ols(f, data).fit(), typ=1))
    assert anova(m, data=data).equals(m.anova(data))


def test_lm_terms_in_r_order_match_nested_rss(data):
    """R orders y ~ x1*g + x2 as x1, g, x2, x1:g (by degree); each Sum Sq is the drop in RSS
    when that term is added (statsmodels OLS fits of the nested models)."""
    t = LinearRegression.from_formula("y ~ x1*g + x2", data).anova(data)
    assert list(t.index) == ["x1", "g", "x2", "x1:g", "Residuals"]
    rss = [smf.ols(f, data).fit().ssr for f in
           ("y ~ 1", "y ~ x1", "y ~ x1 + g", "y ~ x1 + g + x2", "y ~ x1*g + x2")]
    np.testing.assert_allclose(t["Sum Sq"], np.r_[-np.diff(rss), rss[-1]], rtol=1e-10)
    np.testing.assert_array_equal(t["Df"], [1, 2, 1, 2, 143])


def test_lm_weighted_matches_nested_wls(data):
    f = "y ~ g + x2 + x1 + x1:g"
    m = LinearRegression.from_formula(f, data, fit_params={"sample_weight": "w"})
    t = m.anova(data, sample_weight="w")
    fs = ["y ~ 1", "y ~ g", "y ~ g + x2", "y ~ g + x2 + x1", f]
    fits = [smf.wls(x, data, weights=data.w).fit() for x in fs]
    rss = np.array([s.ssr for s in fits])
    np.testing.assert_allclose(t["Sum Sq"], np.r_[-np.diff(rss), rss[-1]], rtol=1e-10)
    F = (-np.diff(rss) / [2, 1, 1, 2]) / (rss[-1] / fits[-1].df_resid)
    np.testing.assert_allclose(t["F value"].iloc[:-1], F, rtol=1e-10)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[:-1],
                               stats.f.sf(F, [2, 1, 1, 2], fits[-1].df_resid), rtol=1e-10)


def test_lm_aliased_columns_dropped_as_r(data):
    """R's anova.lm counts only non-aliased columns: x3 = x1 - x2 (all aliased) has no row, and
    h, whose dummies sum to 1 - g[T.b], keeps one column (Df 1). The table equals that of the
    model without the aliased columns (statsmodels' anova_lm of the reduced model)."""
    d = data.copy()
    d["x3"] = d.x1 - d.x2
    rng = np.random.default_rng(2)
    d["h"] = np.where(d.g == "b", "p", rng.choice(["q", "r"], len(d)))
    d["hq"] = (d.h == "q").astype(float)
    with pytest.warns(AliasedColumnsWarning):
        m = LinearRegression.from_formula("y ~ g + x1 + x2 + x3 + h", d)
    assert m.aliased_ == ["x3", "h[T.r]"]
    t = m.anova(d)
    r = anova_lm(smf.ols("y ~ g + x1 + x2 + hq", d).fit(), typ=1).rename(index={"hq": "h"})
    _check_lm(t, r)


def test_plain_x_one_term_per_column(data):
    X = data[["x1", "x2"]]
    t = anova(LinearRegression().fit(X, data.y), data=X, y=data.y)
    _check_lm(t, anova_lm(smf.ols("y ~ x1 + x2", data).fit(), typ=1))
    assert t.heading[-1] == "Response: y"


def _sm_devs(formulas, data, family, **kw):
    fits = [smf.glm(f, data, family=family, **kw).fit(tol=1e-14) for f in formulas]
    return fits, np.array([s.deviance for s in fits])


def test_poisson_sequential_deviances_match_statsmodels_refits(data):
    m = GLM.from_formula("c ~ x1*g + x2", data, family="poisson", tol=1e-12)
    t = m.anova(data)
    fits, dev = _sm_devs(["c ~ 1", "c ~ x1", "c ~ x1 + g", "c ~ x1 + g + x2",
                          "c ~ x1*g + x2"], data, sm.families.Poisson())
    assert list(t.index) == ["NULL", "x1", "g", "x2", "x1:g"]
    assert list(t.columns) == ["Df", "Deviance", "Resid. Df", "Resid. Dev", "Pr(>Chi)"]
    np.testing.assert_allclose(t["Resid. Dev"], dev, rtol=1e-8)
    np.testing.assert_allclose(t["Deviance"].iloc[1:], -np.diff(dev), rtol=1e-8)
    np.testing.assert_array_equal(t["Resid. Df"], [s.df_resid for s in fits])
    np.testing.assert_allclose(t["Pr(>Chi)"].iloc[1:],
                               stats.chi2.sf(-np.diff(dev), [1, 2, 1, 2]), rtol=1e-7)
    assert np.isnan(t.iloc[0, [0, 1, 4]].to_numpy(float)).all()


def test_poisson_with_offset_and_weights(data):
    expo = np.exp(np.random.default_rng(9).uniform(0, 1, len(data)))
    d = data.assign(logt=np.log(expo))
    m = GLM.from_formula("c ~ x1 + g", d, family="poisson", tol=1e-12,
                         fit_params={"offset": "logt", "sample_weight": "w"})
    t = anova(m, data=d, offset="logt", sample_weight="w")
    _, dev = _sm_devs(["c ~ 1", "c ~ x1", "c ~ x1 + g"], d, sm.families.Poisson(),
                      offset=d.logt, var_weights=d.w)
    np.testing.assert_allclose(t["Resid. Dev"], dev, rtol=1e-8)


def test_binomial_logistic_and_trials(data):
    t = LogisticRegression(tol=1e-12).fit(data[["x1", "x2"]], data.b.map({0: "no", 1: "yes"}))
    tab = t.anova(data[["x1", "x2"]], data.b.map({0: "no", 1: "yes"}))
    _, dev = _sm_devs(["b ~ 1", "b ~ x1", "b ~ x1 + x2"], data, sm.families.Binomial())
    np.testing.assert_allclose(tab["Resid. Dev"], dev, rtol=1e-8)
    assert tab.heading[2] == "Model: binomial, link: logit"
    # grouped binomial: successes out of trials (R's weights = trials)
    rng = np.random.default_rng(4)
    d = data.assign(k=rng.integers(1, 6, len(data)))
    d["s"] = rng.binomial(d.k, 1 / (1 + np.exp(-d.x1)))
    m = GLM.from_formula("s ~ x1 + g", d, family="binomial", tol=1e-12,
                         fit_params={"trials": "k"})
    tab = m.anova(d, trials="k")
    endog = np.column_stack([d.s, d.k - d.s])
    dev = [sm.GLM(endog, sm.add_constant(X, has_constant="add"),
                  family=sm.families.Binomial()).fit(tol=1e-14).deviance
           for X in (np.empty((len(d), 0)), d[["x1"]],
                     d[["x1"]].assign(gb=(d.g == "b") * 1.0, gc=(d.g == "c") * 1.0))]
    np.testing.assert_allclose(tab["Resid. Dev"], dev, rtol=1e-8)
    np.testing.assert_allclose(tab["Pr(>Chi)"].iloc[1:], stats.chi2.sf(-np.diff(dev), [1, 2]),
                               rtol=1e-7)


def test_gamma_f_with_the_full_models_dispersion(data):
    m = GLM.from_formula("pos ~ x1 + g", data, family="gamma", link="log", tol=1e-12)
    t = m.anova(data)
    fam = sm.families.Gamma(sm.families.links.Log())
    fits, dev = _sm_devs(["pos ~ 1", "pos ~ x1", "pos ~ x1 + g"], data, fam)
    phi = fits[-1].scale  # Pearson dispersion of the full model (R's summary.glm)
    F = -np.diff(dev) / [1, 2] / phi
    assert list(t.columns)[-2:] == ["F", "Pr(>F)"]
    np.testing.assert_allclose(t["F"].iloc[1:], F, rtol=1e-6)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[1:], stats.f.sf(F, [1, 2], fits[-1].df_resid),
                               rtol=1e-6)
    assert "Pr(>Chi)" in anova(m, data=data, test="Chisq").columns


def test_negbin_ml_tested_at_its_alpha_as_mass(data):
    rng = np.random.default_rng(1)
    d = data.assign(n=rng.negative_binomial(2, 2 / (2 + np.exp(1 + 0.5 * data.x1))))
    m = NegativeBinomial(tol=1e-12).fit(d[["x1", "x2"]], d.n)
    with pytest.warns(UserWarning, match=r"^tests made without re-estimating 'theta'$"):
        t = m.anova(d[["x1", "x2"]], d.n)
    fam = sm.families.NegativeBinomial(alpha=m.family_.alpha)
    _, dev = _sm_devs(["n ~ 1", "n ~ x1", "n ~ x1 + x2"], d, fam)
    np.testing.assert_allclose(t["Resid. Dev"], dev, rtol=1e-8)
    assert t.heading[2] == f"Model: Negative Binomial({round(1 / m.family_.alpha, 4):g}), " \
                           "link: log"


def test_print_like_r(data):
    lines = str(LinearRegression.from_formula("y ~ x1 + g", data).anova(data)).splitlines()
    assert lines[:4] == ["Analysis of Variance Table", "", "Response: y", ""]
    assert lines[4].split() == ["Df", "Sum", "Sq", "Mean", "Sq", "F", "value", "Pr(>F)"]
    assert lines[5].startswith("x1 ") and lines[7].startswith("Residuals 146 ")
    assert len(lines[7].split()) == 4 and lines[-1].startswith("Signif. codes:")
    glm = GLM.from_formula("c ~ x1", data, family="poisson").anova(data)
    assert str(glm).splitlines()[:10] == [
        "Analysis of Deviance Table", "", "Model: poisson, link: log", "", "Response: c", "",
        "Terms added sequentially (first to last)", "", "",
        "     Df Deviance Resid. Df Resid. Dev  Pr(>Chi)"]


def test_errors(data):
    lm = LinearRegression.from_formula("y ~ x1 + g", data)
    with pytest.raises(ValueError, match=r"^the sequential table of one model \(R's "
                       r"anova\(fit\)\) needs the data it was fitted on: anova\(model, "
                       r"data=df\) \(a fit on a plain X: data=X, y=y\)$"):
        anova(lm)
    with pytest.raises(ValueError, match=r"^this model was not fitted from a formula: pass its "
                       r"response, anova\(model, data=X, y=y\)$"):
        anova(LinearRegression().fit(data[["x1"]], data.y), data=data[["x1"]])
    with pytest.raises(ValueError, match=r"^data, y, sample_weight, offset, trials and exposure "
                       r"are for the sequential table of one model; anova of several models "
                       r"uses each model's own deviance$"):
        anova(lm, lm, data=data)
    with pytest.raises(ValueError, match=r"^anova takes one fitted model \(its sequential "
                       r"table\) or two or more \(compared\); got none$"):
        anova()
    with pytest.raises(ValueError, match=r"^offset is not a fit argument of LinearRegression$"):
        anova(lm, data=data, offset=data.x2)
    with pytest.raises(ValueError, match=r"^the sequential table of a linear model tests by F "
                       r"\(or test=False\); got test='Chisq'$"):
        lm.anova(data, test="Chisq")
    weighted = LinearRegression.from_formula("y ~ x1", data, fit_params={"sample_weight": "w"})
    with pytest.raises(ValueError, match=r"^the data differ from the fit's: the residual sum "
                       r"of squares from y and the weights differ from deviance_ by "):
        weighted.anova(data)  # the weights forgotten
    assert list(lm.anova(data, test=False).columns) == ["Df", "Sum Sq", "Mean Sq"]
