"""reglab.anova (R's anova for several lm / glm / negbin fits) against statsmodels.

statsmodels' anova_lm(m0, m1, m2) computes F with the largest model's residual mean square, as
R's anova.lmlist, but its p-value of each row uses that row's own residual df where R's
stat.anova uses the largest model's (df.scale) for every row: the F values are compared for all
rows, the p-value of the last row (where both agree) directly and the others by hand with R's df.
GLM deviance tests are computed by hand from statsmodels GLM fits (R's stat.anova formulas); the
negative binomial LR test (R's anova.negbin) from statsmodels' NegativeBinomial log-likelihoods.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from reglab import GLM, LinearRegression, NegativeBinomial, anova


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 120
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "x3": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df.x1 + 0.3 * df.x2 + rng.normal(size=n)
    df["c"] = rng.poisson(np.exp(0.5 + 0.4 * df.x1 + 0.2 * df.x2))
    df["pos"] = rng.gamma(2.0, np.exp(0.2 + 0.3 * df.x1) / 2.0)
    df["w"] = rng.uniform(0.5, 2.0, n)
    return df


FORMULAS = ["y ~ x1", "y ~ x1 + x2", "y ~ x1 + x2 + x3"]


def test_lm_matches_statsmodels_anova_lm(data):
    t = anova(*[LinearRegression.from_formula(f, data) for f in FORMULAS])
    r = anova_lm(*[smf.ols(f, data).fit() for f in FORMULAS])
    assert list(t.columns) == ["Res.Df", "RSS", "Df", "Sum of Sq", "F", "Pr(>F)"]
    np.testing.assert_allclose(t["RSS"], r["ssr"], rtol=1e-10)
    np.testing.assert_allclose(t["F"].iloc[1:], r["F"].iloc[1:], rtol=1e-10)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[2], r["Pr(>F)"].iloc[2], rtol=1e-10)
    # R: every row's F on (Df, Res.Df of the largest model = 116)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[1], stats.f.sf(r["F"].iloc[1], 1, 116),
                               rtol=1e-10)
    assert np.isnan(t.iloc[0, 2:]).all()


def test_lm_reverse_order_and_chisq_as_r(data):
    small, big = (LinearRegression.from_formula(f, data) for f in (FORMULAS[0], FORMULAS[2]))
    t = anova(big, small)
    assert t["Df"].iloc[1] == -2 and t["Sum of Sq"].iloc[1] < 0  # R keeps the order
    fwd = anova(small, big)
    np.testing.assert_allclose(t["F"].iloc[1], fwd["F"].iloc[1], rtol=1e-12)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[1], fwd["Pr(>F)"].iloc[1], rtol=1e-12)
    c = anova(small, big, test="Chisq")
    s2 = big.deviance_ / big.df_resid_
    np.testing.assert_allclose(c["Pr(>Chi)"].iloc[1],
                               stats.chi2.sf((small.deviance_ - big.deviance_) / s2, 2),
                               rtol=1e-10)


def test_lm_weighted(data):
    X1, X2, w = data[["x1"]], data[["x1", "x2"]], data["w"]
    t = anova(LinearRegression().fit(X1, data.y, sample_weight=w),
              LinearRegression().fit(X2, data.y, sample_weight=w))
    r = anova_lm(sm.WLS(data.y, sm.add_constant(X1), weights=w).fit(),
                 sm.WLS(data.y, sm.add_constant(X2), weights=w).fit())
    np.testing.assert_allclose(t["F"].iloc[1], r["F"].iloc[1], rtol=1e-10)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[1], r["Pr(>F)"].iloc[1], rtol=1e-10)


def _sm_glm(formula, data, family, **kw):
    return smf.glm(formula, data, family=family, **kw).fit(tol=1e-14)


def test_poisson_chisq_default(data):
    fs = ["c ~ x1", "c ~ x1 + x2 + x3"]
    t = anova(*[GLM.from_formula(f, data, family="poisson", tol=1e-12) for f in fs])
    s = [_sm_glm(f, data, sm.families.Poisson()) for f in fs]
    dev = s[0].deviance - s[1].deviance
    assert list(t.columns) == ["Resid. Df", "Resid. Dev", "Df", "Deviance", "Pr(>Chi)"]
    np.testing.assert_allclose(t["Deviance"].iloc[1], dev, rtol=1e-8)
    np.testing.assert_allclose(t["Pr(>Chi)"].iloc[1], stats.chi2.sf(dev, 2), rtol=1e-8)
    with pytest.warns(UserWarning, match="^using F test with a 'poisson' family is "
                      "inappropriate$"):
        f = anova(*[GLM.from_formula(x, data, family="poisson") for x in fs], test="F")
    # R: pf(F, 2, Inf)
    np.testing.assert_allclose(f["Pr(>F)"].iloc[1], stats.chi2.sf(2 * f["F"].iloc[1], 2),
                               rtol=1e-12)


def test_exposure_offset_against_a_free_log_exposure_coefficient(data):
    """R: anova(glm(c ~ x1, offset = log(t)), glm(c ~ x1 + log(t))), the test of whether the
    exposure's coefficient is 1. The null deviances differ (the first null model has the
    offset), which is no reason to refuse: R checks only the response."""
    t_exp = np.exp(np.random.default_rng(7).uniform(0, 1.5, len(data)))
    X = data[["x1"]].assign(lt=np.log(t_exp))
    m1 = GLM(family="poisson", tol=1e-12).fit(data[["x1"]], data.c, exposure=t_exp)
    m2 = GLM(family="poisson", tol=1e-12).fit(X, data.c)
    tab = anova(m1, m2)
    s1 = sm.GLM(data.c, sm.add_constant(data[["x1"]]), family=sm.families.Poisson(),
                offset=np.log(t_exp)).fit(tol=1e-13)
    s2 = sm.GLM(data.c, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=1e-13)
    dev = s1.deviance - s2.deviance
    np.testing.assert_allclose(tab["Deviance"].iloc[1], dev, rtol=1e-7)
    np.testing.assert_allclose(tab["Pr(>Chi)"].iloc[1], stats.chi2.sf(dev, 1), rtol=1e-6)


def test_gamma_f_default_and_weighted(data):
    fs = ["pos ~ x1", "pos ~ x1 + x2 + x3"]
    fam = sm.families.Gamma(sm.families.links.Log())
    kw = {"fit_params": {"sample_weight": "w"}}
    t = anova(*[GLM.from_formula(f, data, family="gamma", link="log", tol=1e-12, **kw)
                for f in fs])
    s = [_sm_glm(f, data, fam, var_weights=data.w) for f in fs]
    dev, phi = s[0].deviance - s[1].deviance, s[1].scale  # Pearson dispersion of the largest
    F = dev / 2 / phi
    assert list(t.columns)[-2:] == ["F", "Pr(>F)"]
    np.testing.assert_allclose(t["F"].iloc[1], F, rtol=1e-6)
    np.testing.assert_allclose(t["Pr(>F)"].iloc[1], stats.f.sf(F, 2, s[1].df_resid), rtol=1e-6)


def test_negbin_lr_test_sorted_as_mass():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = rng.negative_binomial(2, 2 / (2 + np.exp(1 + 0.5 * X[:, 0])))
    big = GLM(family="negative_binomial", tol=1e-10).fit(X, y)
    small = NegativeBinomial(tol=1e-10).fit(X[:, :1], y)
    t = anova(big, small)  # anova.negbin sorts by decreasing residual df
    assert list(t["Resid. df"]) == [298, 297]
    s0 = sm.NegativeBinomial(y, sm.add_constant(X[:, :1])).fit(disp=0, method="newton",
                                                                maxiter=200)
    s1 = sm.NegativeBinomial(y, sm.add_constant(X)).fit(disp=0, method="newton", maxiter=200)
    lr = 2 * (s1.llf - s0.llf)
    np.testing.assert_allclose(t["LR stat."].iloc[1], lr, rtol=1e-6)
    np.testing.assert_allclose(t["Pr(Chi)"].iloc[1], stats.chi2.sf(lr, 1), rtol=1e-6)
    np.testing.assert_allclose(t["theta"], [1 / s0.params[-1], 1 / s1.params[-1]], rtol=1e-5)


def test_print_like_r(data):
    t = anova(*[LinearRegression.from_formula(f, data) for f in FORMULAS[:2]])
    text = str(t)
    lines = text.splitlines()
    assert lines[:4] == ["Analysis of Variance Table", "", "Model 1: y ~ x1",
                         "Model 2: y ~ x1 + x2"]
    assert lines[5].split() == ["Res.Df", "RSS", "Df", "Sum", "of", "Sq", "F", "Pr(>F)"]
    assert lines[6].split()[:2] == ["1", "118"] and len(lines[6].split()) == 3
    assert lines[7].endswith("***") and lines[-1].startswith("Signif. codes:")
    assert "NA" not in text  # R prints the first row's empty cells blank


def test_errors(data):
    lm1, lm2 = (LinearRegression.from_formula(f, data) for f in FORMULAS[:2])
    pois = GLM.from_formula("c ~ x1", data, family="poisson")
    with pytest.raises(ValueError, match=r"^anova compares models of one kind; got GLM, "
                       r"LinearRegression$"):
        anova(lm1, pois)
    with pytest.raises(ValueError, match=r"^the sequential table of one model \(R's "
                       r"anova\(fit\)\) needs the data it was fitted on"):
        anova(lm1)  # one model: tests/inference/test_anova_seq.py
    with pytest.raises(ValueError, match=r"^test must be None, False, 'F', 'Chisq' or 'LRT'; "
                       r"got 'Wald'$"):
        anova(lm1, lm2, test="Wald")
    with pytest.raises(ValueError, match=r"^models were not all fitted to the same size of "
                       r"dataset: model 1 has 120 observations, model 2 has 60$"):
        anova(lm1, LinearRegression.from_formula("y ~ x1 + x2", data.iloc[:60]))
    with pytest.raises(ValueError, match=r"^model 2 has response 'x3' but model 1 has 'y': "
                       r"anova compares models of one response$"):
        anova(lm1, LinearRegression.from_formula("x3 ~ x1 + x2", data))
    with pytest.raises(ValueError, match=r"^models were fitted to different responses or "
                       r"weights: the null deviance of model 2 is [0-9.]+, of model 1 "
                       r"[0-9.]+$"):
        anova(LinearRegression().fit(data[["x1"]], data.y),
              LinearRegression().fit(data[["x1", "x2"]], data.y, sample_weight=data.w))
    gam = GLM.from_formula("pos ~ x1", data, family="gamma")
    with pytest.raises(ValueError, match=r"^models have different families: model 1 is "
                       r"poisson \(link log\), model 2 is gamma \(link inverse\)$"):
        anova(pois, gam)
    with pytest.raises(TypeError, match=r"^model 2 is a str; anova compares LinearRegression "
                       r"or GLM \(LogisticRegression, NegativeBinomial\) fits$"):
        anova(lm1, "lm2")
