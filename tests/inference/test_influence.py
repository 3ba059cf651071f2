"""Influence measures (R's lm.influence / influence.measures) against R's own numbers and
statsmodels.

R references: statsmodels' test suite ships R output for ``lm(g_realinv ~ g_realgdp + realint)``
on the macrodata growth rates (statsmodels/stats/tests/results/influence_lsdiag_R.json from
``ls.diag``, influence_measures_R.csv and influence_measures_bool_R.csv from
``influence.measures``; used by statsmodels/stats/tests/test_diagnostic.py::test_influence).

statsmodels' definitions vs R's, checked before use: OLSInfluence of an OLS fit is R's lm
definition; for a WLS fit its hat_matrix_diag is not R's weighted hat (it mixes the unweighted
exog with the weighted pseudo-inverse: the hats of the example below sum to 2.20, not 3), so the
weighted case is compared with OLSInfluence of the OLS fit of ``sqrt(w) y`` on ``sqrt(w) X``
(which is R's definition of the weighted lm's measures). GLMInfluence.hat_matrix_diag and
cooks_distance (with observed=False: Fisher weights) are R's; its resid_studentized is R's
rstandard(type = "pearson"), not R's default "deviance", so std_resid and student_resid are
computed here by hand from R's formulas (rstandard.glm, rstudent.glm) with statsmodels' deviance
and Pearson residuals.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.outliers_influence import OLSInfluence

from reglab import GLM, LinearRegression, LogisticRegression

R_RESULTS = Path(statsmodels.__file__).parent / "stats" / "tests" / "results"


@pytest.fixture(scope="module")
def macro():
    d = sm.datasets.macrodata.load_pandas().data
    y = (400 * np.log(d["realinv"]).diff().dropna()).to_numpy()
    g = (400 * np.log(d["realgdp"]).diff().dropna()).to_numpy()
    X = np.column_stack([g, d["realint"][:-1].to_numpy()])
    return X, y


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def test_lm_matches_r_macrodata(macro):
    X, y = macro
    infl = LinearRegression().fit(X, y).influence(X, y)
    r = json.loads((R_RESULTS / "influence_lsdiag_R.json").read_text())
    for ours, theirs in [("hat", "hat"), ("std_resid", "std.res"), ("student_resid", "stud.res"),
                         ("cooks_d", "cooks"), ("dffits", "dfits")]:
        assert _rel(infl[ours], r[theirs]) < 1e-10, ours
    im = pd.read_csv(R_RESULTS / "influence_measures_R.csv", index_col=0)
    assert _rel(infl["cov_ratio"], im["cov.r"]) < 1e-10
    assert _rel(infl["cooks_d"], im["cook.d"]) < 1e-10
    flags = pd.read_csv(R_RESULTS / "influence_measures_bool_R.csv", index_col=0)
    # R's print.infl star: any flag of the row (19 rows here)
    np.testing.assert_array_equal(infl["influential"].to_numpy(), flags.any(axis=1).to_numpy())
    assert infl["influential"].sum() == 19


def _ols_influence_check(infl, oi, rows, tol):
    for ours, theirs in [("hat", oi.hat_matrix_diag),
                         ("std_resid", oi.resid_studentized_internal),
                         ("student_resid", oi.resid_studentized_external),
                         ("cooks_d", oi.cooks_distance[0]), ("dffits", oi.dffits[0]),
                         ("cov_ratio", oi.cov_ratio)]:
        assert _rel(infl[ours].to_numpy()[rows], theirs) < tol, ours


def test_lm_weighted_with_a_zero_weight_row(macro):
    X, y = macro
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    w[5] = 0.0
    infl = LinearRegression().fit(X, y, sample_weight=w).influence(X, y, sample_weight=w)
    pos = w > 0
    sq = np.sqrt(w[pos])
    ols = sm.OLS(sq * y[pos], sq[:, None] * sm.add_constant(X[pos])).fit()
    _ols_influence_check(infl, OLSInfluence(ols), pos, 1e-10)
    # R drops the zero-weight row; we keep it with hat 0 and NaN measures
    assert infl["hat"].iloc[5] == 0.0
    assert infl.iloc[5][["std_resid", "student_resid", "cooks_d", "dffits"]].isna().all()
    assert infl["hat"].sum() == pytest.approx(3.0, rel=1e-12)


def test_lm_aliased_column_dropped_as_r(macro):
    X, y = macro
    X3 = np.column_stack([X, 2 * X[:, 0]])
    with pytest.warns(UserWarning, match="aliased"):
        m = LinearRegression().fit(X3, y)
    infl = m.influence(X3, y)
    ref = LinearRegression().fit(X, y).influence(X, y)
    np.testing.assert_allclose(infl.to_numpy(float), ref.to_numpy(float), rtol=1e-10)


def test_lm_formula_uses_its_dataframe(macro):
    X, y = macro
    df = pd.DataFrame({"inv": y, "gdp": X[:, 0], "lint": X[:, 1]}, index=np.arange(len(y)) + 10)
    m = LinearRegression.from_formula("inv ~ gdp + lint", df)
    infl = m.influence(df)
    ref = LinearRegression().fit(X, y).influence(X, y)
    np.testing.assert_allclose(infl["cooks_d"], ref["cooks_d"], rtol=1e-10)
    assert list(infl.index[:2]) == [10, 11]


def _glm_hand(sres, hat, dispersion, divide):
    """R's rstandard.glm (deviance) and rstudent.glm from statsmodels' residuals and hats."""
    d, r = sres.resid_deviance, sres.resid_pearson
    std = d / np.sqrt(dispersion * (1 - hat))
    stud = np.sign(d) * np.sqrt(d**2 + hat * r**2 / (1 - hat))
    if divide:  # R: divided by the leave-one-out sigma unless binomial or Poisson
        n, p = len(d), sres.df_model + 1
        stud = stud / np.sqrt((np.sum(d**2) - d**2 / (1 - hat)) / (n - p - 1))
    return std, stud


@pytest.mark.filterwarnings("ignore:The InversePower link function")
@pytest.mark.parametrize("family", ["poisson", "binomial", "gamma"])
def test_glm_matches_statsmodels_and_r_formulas(family):
    rng = np.random.default_rng(3)
    n = 150
    X = rng.normal(size=(n, 2))
    eta = 0.3 + 0.5 * X[:, 0] - 0.4 * X[:, 1]
    fams = {"poisson": sm.families.Poisson(), "binomial": sm.families.Binomial(),
            "gamma": sm.families.Gamma()}
    kw = {}
    if family == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    elif family == "binomial":
        trials = rng.integers(1, 8, n)
        y = rng.binomial(trials, 1 / (1 + np.exp(-eta))).astype(float)
        kw = {"trials": trials}
    else:
        # the canonical (inverse) link: Fisher scoring then converges quadratically, so both
        # fits reach the MLE to ~1e-12 (with the log link it converges linearly: 1e-7 apart)
        y = rng.gamma(2.0, 1.0 / (1.0 + 0.3 * np.abs(X[:, 0])) / 2.0)
    m = GLM(family=family, tol=1e-12)
    m.fit(X, y, **kw)
    infl = m.influence(X, y, **kw)
    endog = np.column_stack([y, kw["trials"] - y]) if kw else y
    sres = sm.GLM(endog, sm.add_constant(X), family=fams[family]).fit(tol=1e-14)
    # observed=False: R's hat uses the Fisher (expected) IRLS weights (statsmodels' default,
    # the observed information, differs for a non-canonical link; equal here)
    si = sres.get_influence(observed=False)
    assert _rel(infl["hat"], si.hat_matrix_diag) < 1e-8
    assert _rel(infl["cooks_d"], si.cooks_distance[0]) < 1e-8
    std, stud = _glm_hand(sres, si.hat_matrix_diag, sres.scale, family == "gamma")
    assert _rel(infl["std_resid"], std) < 1e-8
    assert _rel(infl["student_resid"], stud) < 1e-8
    assert infl["hat"].sum() == pytest.approx(3.0, rel=1e-10)


def test_logistic_labels_and_offset():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 2))
    y = np.where(rng.random(120) < 1 / (1 + np.exp(-X[:, 0])), "yes", "no")
    m = LogisticRegression(tol=1e-12).fit(X, y)
    ref = GLM(family="binomial", tol=1e-12).fit(X, (y == "yes").astype(float))
    np.testing.assert_allclose(m.influence(X, y)["cooks_d"],
                               ref.influence(X, (y == "yes").astype(float))["cooks_d"],
                               rtol=1e-10)
    t = rng.uniform(1, 3, 120)
    counts = rng.poisson(t * np.exp(0.2 * X[:, 0]))
    pm = GLM(family="poisson", tol=1e-12).fit(X, counts, exposure=t)
    sres = sm.GLM(counts, sm.add_constant(X), family=sm.families.Poisson(),
                  exposure=t).fit(tol=1e-14)
    assert _rel(pm.influence(X, counts, exposure=t)["hat"],
                sres.get_influence().hat_matrix_diag) < 1e-8


def test_errors_name_the_problem(macro):
    X, y = macro
    m = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"^the data differ from the fit's: the fitted values "
                       r"from X differ from fitted_values_ by [0-9.e+-]+ at row 0 \(more than "
                       r"1e-08 relative\); pass the X, y and weights \(offset, exposure, "
                       r"trials\) the model was fitted on$"):
        m.influence(X + np.r_[1.0, np.zeros(len(X) - 1)][:, None], y)
    with pytest.raises(ValueError, match=r"^the data differ from the fit's: the residuals from "
                       r"y differ from resid_ by 1 at row 3 "):
        m.influence(X, y + (np.arange(len(y)) == 3))
    with pytest.raises(ValueError, match=r"^the data have 10 rows but the model was fitted on "
                       r"202; pass the data the model was fitted on$"):
        m.influence(X[:10], y[:10])
    # a weighted fit given without its weights: fitted values and residuals agree, the
    # weighted residual sum of squares does not
    w = np.linspace(0.5, 2.0, len(y))
    mw = LinearRegression().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match=r"^the data differ from the fit's: the residual sum "
                       r"of squares from y and the weights differ from deviance_ by [0-9.e+-]+ "
                       r"\(more than 1e-08 relative\); pass the X, y and weights"):
        mw.influence(X, y)
    with pytest.raises(ValueError, match=r"^influence needs y \(only a model fitted by "
                       r"from_formula finds it in the data\)$"):
        m.influence(X)
    g = GLM(family="poisson", alpha=0.1).fit(X, np.ones(len(y)))
    with pytest.raises(ValueError, match=r"^influence measures need an unpenalized fit; this "
                       r"one has alpha = 0.1 \(R's glm has no penalty\)$"):
        g.influence(X, np.ones(len(y)))


def test_dfbetas_match_r_macrodata(macro):
    """R's dfb.1_, dfb.ggdp, dfb.lint (influence.measures): the intercept's too, although the
    QR is taken of the centred design (the coefficients are mapped back to R's)."""
    X, y = macro
    infl = LinearRegression().fit(X, y).influence(X, y)
    im = pd.read_csv(R_RESULTS / "influence_measures_R.csv", index_col=0)
    for ours, theirs in [("dfb_Intercept", "dfb.1_"), ("dfb_x1", "dfb.ggdp"),
                         ("dfb_x2", "dfb.lint")]:
        assert _rel(infl[ours].to_numpy(), im[theirs].to_numpy()) < 1e-10, ours


def test_glm_flags_include_r_dfbetas_rule():
    """R's influence.measures flags a glm row on |dfbetas| > 1 as well, with lm.influence's
    coefficients from the deviance residuals (weighted.residuals of a glm) and the IRLS weights.
    Built here by hand from statsmodels' fit with explicit inverses (no QR, no centring); seed
    42 has a row that only this rule flags (|dfbetas| 1.15)."""
    rng = np.random.default_rng(42)
    n = 15
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = rng.poisson(np.exp(0.5 + 0.5 * X.a))
    infl = GLM(family="poisson").fit(X, y).influence(X, y)
    s = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit(tol=1e-13)
    A = np.sqrt(s.mu)[:, None] * sm.add_constant(X).to_numpy()
    V = np.linalg.inv(A.T @ A)
    h = np.einsum("ij,jk,ik->i", A, V, A)
    e = np.asarray(s.resid_deviance)
    p = 3
    sig = np.sqrt((e @ e - e**2 / (1 - h)) / (n - p - 1))
    dfb = (A @ V) * (e / (1 - h))[:, None] / np.outer(sig, np.sqrt(np.diag(V)))
    ours = infl[["dfb_Intercept", "dfb_a", "dfb_b"]].to_numpy()
    np.testing.assert_allclose(ours, dfb, rtol=1e-6, atol=1e-9)  # the fits agree to ~1e-8
    by_dfbetas = (np.abs(dfb) > 1).any(axis=1)
    assert by_dfbetas.sum() >= 1 and infl["influential"].to_numpy()[by_dfbetas].all()
