"""reglab.compare: information criteria vs statsmodels, ranking rules, ladder selection."""

import numpy as np
import pandas as pd
import pytest

from reglab.compare import _leaderboard, _proba, compare, design, information_criteria, ladder
from reglab.data import load_dataset, prepare


def _rung(name):
    from reglab.compare import RUNGS

    return next(r for r in RUNGS if r.name == name)


def test_gaussian_aic_bic_match_statsmodels_with_sigma_counted():
    import statsmodels.api as sm

    from reglab.models.linear import LinearRegression

    df = load_dataset("surface", n_samples=120)
    X, y = df[["x1", "x2"]], df["y"].to_numpy()
    ic = information_criteria(_rung("linear"), LinearRegression().fit(X, y), X, y, None)
    llf = sm.OLS(y, sm.add_constant(X)).fit().llf
    k = 4  # two slopes, intercept, sigma (R's convention)
    assert ic["AIC"] == pytest.approx(-2 * llf + 2 * k, rel=1e-10)
    assert ic["BIC"] == pytest.approx(-2 * llf + k * np.log(120), rel=1e-10)


def test_poisson_and_bernoulli_aic_match_statsmodels():
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression, PoissonRegressor

    df = load_dataset("globular", n_samples=150)
    X, y = df[["M_V"]], df["N_GC"].to_numpy()
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson()).fit()
    # an unpenalised scikit-learn Poisson fit reaches the same MLE (tolerance of its solver)
    m = PoissonRegressor(alpha=0, max_iter=1000, tol=1e-10).fit(X, y)
    ic = information_criteria(_rung("Poisson GLM"), m, X, y, None)
    assert ic["AIC"] == pytest.approx(ref.aic, rel=1e-6)

    sp = load_dataset("spector")
    Xs, ys = sp[["GPA", "TUCE", "PSI"]], sp["GRADE"].to_numpy().astype(int)
    logit = sm.Logit(ys, sm.add_constant(Xs)).fit(disp=0)
    m = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(Xs, ys)
    ic = information_criteria(_rung("logistic regression"), m, Xs, ys, 2)
    assert ic["AIC"] == pytest.approx(logit.aic, rel=1e-5)  # R: 33.779 (Spector & Mazzeo)
    assert logit.aic == pytest.approx(33.779, abs=1e-3)


def test_negative_binomial_loglik_uses_the_fitted_alpha():
    from scipy import stats

    from reglab.models.glm import NegativeBinomial

    df = load_dataset("globular", n_samples=150)
    X, y = df[["M_V"]], df["N_GC"].to_numpy()
    m = NegativeBinomial().fit(X, y)
    mu, r = m.predict(X), 1 / m.alpha_nb_
    llf = stats.nbinom.logpmf(y, r, r / (r + mu)).sum()
    ic = information_criteria(_rung("negative binomial GLM"), m, X, y, None)
    assert ic["AIC"] == pytest.approx(-2 * llf + 2 * 3, rel=1e-10)
    assert ic["AIC"] == pytest.approx(m.aic_, rel=1e-8)  # the GLM's own R-convention AIC


def test_undefined_deviance_ranks_last_and_notes_why():
    from reglab.compare import RungResult

    res = [RungResult("a", None, {"Poisson deviance": float("nan"), "RMSE": 1.0}),
           RungResult("b", None, {"Poisson deviance": 3.0, "RMSE": 2.0}),
           RungResult("c", None, {"Poisson deviance": 2.0, "RMSE": 3.0})]
    for r in res:
        r.fit_time = 0.1
    board = _leaderboard(res, "counts")
    assert board["model"].tolist() == ["c", "b", "a"]
    assert board["rank"].tolist() == [1, 2, 3]


def test_proba_puts_missing_classes_at_zero():
    class TwoOfThree:
        classes_ = np.array([0, 2])

        def predict_proba(self, X):
            return np.tile([0.25, 0.75], (len(X), 1))

    P = _proba(TwoOfThree(), np.zeros((2, 1)), 3)
    np.testing.assert_array_equal(P, [[0.25, 0, 0.75]] * 2)


def test_ladder_selection():
    names = [r.name for r in ladder("counts")]
    assert names[:3] == ["linear", "Poisson GLM", "negative binomial GLM"]
    assert "errors-in-variables (Bayesian)" not in [r.name for r in ladder("continuous")]
    assert ladder("continuous", errors=True)[-1].needs_errors
    assert [r.name for r in ladder("binary", names=["LOGISTIC"])] == ["logistic regression"]
    assert [r.name for r in ladder("positive", names=["gam"])] == ["GAM"]  # exact name wins
    assert [r.name for r in ladder("positive", names=["gamma"])] == ["Gamma GLM (log link)"]
    assert len(ladder("binary", names=["poly", "random"])) == 2
    with pytest.raises(ValueError, match="no model 'poisson' for task binary"):
        ladder("binary", names=["poisson"])
    # the names `reglab fit --model` uses pick their rungs too
    def picked(task, *names):
        return [r.name for r in ladder(task, errors=True, names=list(names))]

    assert picked("continuous", "forest") == ["random forest"]
    assert picked("counts", "negative_binomial") == ["negative binomial GLM"]
    assert picked("counts", "glm") == ["Poisson GLM", "negative binomial GLM"]
    assert picked("positive", "glm") == ["Gamma GLM (log link)"]
    assert picked("binary", "glm") == ["logistic regression"]
    assert picked("continuous", "glm") == ["linear"]  # the Gaussian GLM
    assert picked("continuous", "eiv") == ["errors-in-variables (Bayesian)"]
    assert picked("counts", "bayesian_glm") == ["Bayesian NB GLM (measurement errors)"]
    with pytest.raises(ValueError, match="no model 'eiv' for task counts"):
        ladder("counts", names=["eiv"])


def test_compare_checks_folds_and_rare_classes():
    df = pd.DataFrame({"x": np.arange(12.0), "y": ["a"] * 10 + ["b"] * 2})
    data = prepare(df, "y")
    with pytest.raises(ValueError, match="rarest class has 2 rows, fewer than the 3 folds"):
        compare(data, folds=3, models=["logistic"])
    with pytest.raises(ValueError, match="folds must be at least 2"):
        compare(data, folds=1)
    with pytest.raises(ValueError, match="20 folds but only 12 rows"):
        compare(data, folds=20)


def test_failed_rung_is_reported_not_fatal():
    df = load_dataset("scotland")  # 32 rows, 7 features: degree-2 terms outnumber the rows
    data = prepare(df, "YES", task="positive")
    comp = compare(data, folds=3, models=["linear", "polynomial"], fast=True)
    poly = next(r for r in comp.results if r.name.startswith("polynomial"))
    assert poly.skipped and poly.skipped.startswith("failed:")
    assert comp.leaderboard["model"].tolist() == ["linear"]


def test_measurement_error_rungs_cover_continuous_positive_and_counts():
    from reglab._ladder import ERROR_TASKS

    assert ERROR_TASKS == ("continuous", "positive", "counts")
    for task, name in [("continuous", "errors-in-variables (Bayesian)"),
                       ("positive", "errors-in-variables (Bayesian)"),
                       ("counts", "Bayesian NB GLM (measurement errors)")]:
        with_errors = [r.name for r in ladder(task, errors=True)]
        assert name in with_errors and name not in [r.name for r in ladder(task)]
    # a prefix of the plain NB rung's name does not pull in the slow Bayesian one
    assert [r.name for r in ladder("counts", errors=True, names=["negative"])] == [
        "negative binomial GLM"]


def test_bayesian_nb_rung_cross_validates_with_x_errors():
    pytest.importorskip("numpyro")
    from reglab.data import DATASETS

    info = DATASETS["globular"]
    df = load_dataset("globular", n_samples=80, seed=1)
    data = prepare(df, info.target, task=info.task, exclude=[*info.x_err])
    errors = {"x_err": df[list(info.x_err)].to_numpy(float), "y_err": None}
    comp = compare(data, folds=2, fast=True, errors=errors,
                   models=["Bayesian NB GLM", "negative binomial GLM"])
    board = comp.leaderboard.set_index("model")
    bayes, ml = (board.loc[n, "Poisson deviance"] for n in
                 ("Bayesian NB GLM (measurement errors)", "negative binomial GLM"))
    # both estimate the same NB2 relation; the posterior-mean predictions score alike
    assert np.isfinite(bayes) and abs(bayes - ml) < 0.15 * ml
    model = next(r.model for r in comp.results if r.name.startswith("Bayesian"))
    assert model.latent_x_.shape == (80, 1)


def test_separated_classes_get_a_note_and_no_information_criteria():
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=80), "y": np.where(x > 0, "up", "down")})
    comp = compare(prepare(df, "y"), folds=2, seed=0, models=["logistic regression"])
    row = comp.leaderboard.set_index("model").loc["logistic regression"]
    assert "complete separation in the fit on all rows" in row["note"]
    assert "AIC" not in comp.leaderboard or np.isnan(row.get("AIC", np.nan))
    # an overlapping sample keeps its AIC and gets no note
    df["y"] = np.where(x + rng.normal(size=80) > 0, "up", "down")
    comp = compare(prepare(df, "y"), folds=2, seed=0, models=["logistic regression"])
    row = comp.leaderboard.set_index("model").loc["logistic regression"]
    assert row["note"] == "" and np.isfinite(row["AIC"])


def test_forest_rung_uses_every_core_and_fewer_trees_on_large_data():
    from types import SimpleNamespace

    from reglab._ladder import FOREST_LARGE

    rung = next(r for r in ladder("continuous") if r.name == "random forest")
    for n, trees in [(500, 200), (FOREST_LARGE + 1, 100), (4 * FOREST_LARGE, 100)]:
        data = SimpleNamespace(task="continuous", classes=None, y=np.zeros(n))
        est, note = rung.build(data, seed=0, fast=False, errors=None)
        assert est.n_estimators == trees and est.n_jobs == -1
        assert (note == "") == (trees == 200)
        # large data: each tree on a bootstrap sample of ~FOREST_LARGE rows (a fraction, so a
        # CV fold's smaller training set works too)
        assert est.max_samples == (None if n <= FOREST_LARGE else FOREST_LARGE / n)
    assert note == "100 trees, each on a bootstrap sample of 25% of the rows (more than 20,000 " \
        "rows)"


def _exposure_counts(n=300, seed=0):
    """Poisson counts over exposures 0.5-20: log E[y] = log(e) - 1 + 0.6 x1 + 0.8 x2."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(0, 1, n)})
    e = np.exp(rng.uniform(np.log(0.5), np.log(20.0), n))
    df["claims"] = rng.poisson(e * np.exp(-1 + 0.6 * df["x1"] + 0.8 * df["x2"]))
    return df, pd.Series(e, name="years")


def test_weighted_rate_model_is_the_offset_model_for_poisson():
    """Fitting y / e with weights e by Poisson IRLS gives the offset model's estimates (the
    weighted rate deviance is the count deviance): both to 1e-8 of statsmodels' exposure fit."""
    import statsmodels.api as sm

    from reglab._ladder import Exposed
    from reglab.models.glm import GLM

    df, e = _exposure_counts()
    X, y = df[["x1", "x2"]], df["claims"].to_numpy()
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), exposure=e).fit()
    for offset in (True, False):
        m = Exposed(GLM(family="poisson", link="log", tol=1e-12), offset=offset).fit(X, y, e)
        fitted = np.r_[m.regressor_.intercept_, m.regressor_.coef_]
        np.testing.assert_allclose(fitted, ref.params, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(m.predict(X, exposure=e), ref.fittedvalues, rtol=1e-7)
        np.testing.assert_allclose(m.predict(X) * e, ref.fittedvalues, rtol=1e-7)


def test_compare_with_exposure_scores_counts_over_their_exposures():
    """Every count rung fits; the Poisson GLM rung's held-out predictions are statsmodels'
    ``GLM(exposure=)`` refitted on the same folds (1e-6), its AIC statsmodels' (1e-8); and the
    exposure-aware ladder beats the one that ignores it by far (deviance 1.08 vs 4.14 here)."""
    import statsmodels.api as sm
    from sklearn.model_selection import KFold

    df, e = _exposure_counts()
    data = prepare(df, "claims")
    comp = compare(data, folds=3, seed=0, fast=True, exposure=e)
    assert comp.exposure_name == "years" and not [r for r in comp.results if r.skipped]
    glm = next(r for r in comp.results if r.name == "Poisson GLM")
    X, y = sm.add_constant(df[["x1", "x2"]]), df["claims"].to_numpy()
    oof = np.zeros(len(y))
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        fit = sm.GLM(y[train], X.iloc[train], family=sm.families.Poisson(),
                     exposure=e.to_numpy()[train]).fit()
        oof[test] = fit.predict(X.iloc[test], exposure=e.to_numpy()[test])
    np.testing.assert_allclose(glm.oof, oof, rtol=1e-6)
    full = sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit()
    assert glm.scores["AIC"] == pytest.approx(full.aic, rel=1e-8)
    best = comp.leaderboard["Poisson deviance"].min()
    ignored = compare(data, folds=3, seed=0, fast=True).leaderboard["Poisson deviance"].min()
    assert best < 0.5 * ignored, (best, ignored)


def test_exposure_is_refused_off_counts_and_when_not_positive():
    df, e = _exposure_counts(n=40)
    with pytest.raises(ValueError, match="exposure applies to count targets; 'x1' is"):
        compare(prepare(df, "x1"), exposure=e)
    bad = e.copy()
    bad.iloc[7] = 0.0
    with pytest.raises(ValueError, match=r"years must be finite and > 0.*0.0 at row 7"):
        compare(prepare(df, "claims"), exposure=bad)
    with pytest.raises(ValueError, match="shape"):
        compare(prepare(df, "claims"), exposure=e.to_numpy()[:10])


def test_negative_binomial_at_alpha_zero_scores_as_poisson():
    """ML alpha on the boundary (Poisson data): the NB2 likelihood is its Poisson limit, so AIC
    is Poisson's loglik with one more parameter (it used to divide by zero and drop the rung)."""
    from scipy import stats

    from reglab.models.glm import NegativeBinomial

    df, e = _exposure_counts(seed=1)
    X, y = df[["x1", "x2"]], df["claims"].to_numpy()
    m = NegativeBinomial().fit(X, y, exposure=e)
    assert m.alpha_nb_ == 0
    ic = information_criteria(_rung("negative binomial GLM"), m, X, y, None, e.to_numpy())
    llf = stats.poisson.logpmf(y, m.predict(X, exposure=e)).sum()
    assert ic["AIC"] == pytest.approx(-2 * llf + 2 * 4, rel=1e-10)


def test_weighted_compare_fits_and_scores_with_the_weights():
    """Frequency weights 1-3: the Poisson GLM rung's held-out predictions are statsmodels'
    ``GLM(freq_weights=)`` refitted on the same folds (1e-6) and its deviance the weighted mean
    of theirs; 0/1 weights through the polynomial pipeline give the fit on the kept rows only
    (the scaler sees every row, but the degree-2 basis spans the same space); no AIC/BIC."""
    import statsmodels.api as sm
    from sklearn.model_selection import KFold

    df, e = _exposure_counts(n=200, seed=4)
    w = pd.Series(np.random.default_rng(5).integers(1, 4, 200).astype(float), name="w")
    data = prepare(df, "claims")
    comp = compare(data, folds=3, seed=0, models=["Poisson GLM"], sample_weight=w,
                   exposure=e)
    res = comp.results[0]
    X, y = sm.add_constant(df[["x1", "x2"]]), df["claims"].to_numpy()
    oof = np.zeros(len(y))
    for train, test in KFold(3, shuffle=True, random_state=0).split(X):
        fit = sm.GLM(y[train], X.iloc[train], family=sm.families.Poisson(),
                     exposure=e.to_numpy()[train], freq_weights=w.to_numpy()[train]).fit()
        oof[test] = fit.predict(X.iloc[test], exposure=e.to_numpy()[test])
    np.testing.assert_allclose(res.oof, oof, rtol=1e-6)
    dev = 2 * (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / oof), 0) - (y - oof))
    assert res.scores["Poisson deviance"] == pytest.approx(np.average(dev, weights=w), rel=1e-9)
    assert comp.weight_name == "w" and "AIC" not in comp.leaderboard

    cont = prepare(df.assign(y=df.x1 + df.x2**2).drop(columns="claims"), "y")
    keep = (np.arange(200) % 3 > 0).astype(float)
    poly = compare(cont, folds=2, models=["polynomial"], sample_weight=keep).results[0].model
    ref = compare(prepare(cont.frame[keep > 0], "y"), folds=2, models=["polynomial"]
                  ).results[0].model
    np.testing.assert_allclose(poly.predict(design(cont)), ref.predict(design(cont)),
                               rtol=1e-8, atol=1e-10)


def test_rate_model_with_weights_is_the_weighted_offset_model():
    import statsmodels.api as sm

    from reglab._ladder import Exposed
    from reglab.models.glm import GLM

    df, e = _exposure_counts(seed=6)
    w = np.random.default_rng(7).uniform(0.5, 2.0, len(df))
    X, y = df[["x1", "x2"]], df["claims"].to_numpy()
    ref = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(), exposure=e,
                 var_weights=w).fit(tol=1e-12)
    for offset in (True, False):
        m = Exposed(GLM(family="poisson", tol=1e-12), offset=offset).fit(X, y, e,
                                                                         sample_weight=w)
        np.testing.assert_allclose(np.r_[m.regressor_.intercept_, m.regressor_.coef_],
                                   ref.params, rtol=1e-8)


def test_weights_are_checked_and_unweighted_models_skipped():
    df, _ = _exposure_counts(n=40)
    data = prepare(df, "claims")
    w = pd.Series(np.ones(40), name="w")
    w.iloc[3] = -1.0
    with pytest.raises(ValueError, match=r"w must be finite and >= 0, got -1.0 at row 3"):
        compare(data, sample_weight=w)
    with pytest.raises(ValueError, match="is 0 in every row"):
        compare(data, sample_weight=np.zeros(40))
    from reglab._ladder import weight_key

    rung = next(r for r in ladder("counts", errors=True) if r.needs_errors)
    est, _ = rung.build(data, seed=0, fast=True, errors=None)
    assert weight_key(est) is None  # the Bayesian NB model: skipped with that reason
    mlp = next(r for r in ladder("continuous") if r.name == "MLP")
    est, _ = mlp.build(prepare(df, "x1"), seed=0, fast=True, errors=None)
    assert weight_key(est) == "mlpregressor__sample_weight"  # through the target transformer


def test_summary_qualifier_and_model_names_say_what_a_summary_is_of():
    from reglab._cli_models import model_name
    from reglab._ladder import Exposed, summary_qualifier
    from reglab.models.glm import GLM, NegativeBinomial
    from reglab.models.linear import LinearRegression

    df, e = _exposure_counts(n=60)
    counts = prepare(df, "claims")
    poly = next(r for r in ladder("continuous") if r.name.startswith("polynomial"))
    cont = prepare(df, "x1")
    est, _ = poly.build(cont, seed=0, fast=True, errors=None)
    assert summary_qualifier(est) == " (fitted on standardised features)"  # not fitted yet
    est.fit(design(cont), cont.y)
    assert summary_qualifier(est) == (" (fitted on standardised features: each coefficient is "
                                      "per standard deviation of its term)")
    rate = Exposed(LinearRegression(), offset=False)
    assert summary_qualifier(rate, "years") == " (fitted to the rate per unit of years, " \
                                               "weighted by years)"
    for offset_model in (Exposed(GLM(family="poisson"), offset=True), GLM(family="poisson")):
        assert summary_qualifier(offset_model, "years") == (
            " (offset log(years): the model is for the rate per unit of years)")
    assert summary_qualifier(GLM()) == "" and counts.task == "counts"
    assert model_name("glm", GLM(family="poisson", link="log")) == "glm (poisson, log link)"
    assert model_name("negative_binomial", NegativeBinomial()) == "negative_binomial (log link)"
    assert model_name("eiv", LinearRegression()) == "errors-in-variables (Bayesian)"


def test_exposed_score_is_r2_of_the_expected_counts():
    from sklearn.metrics import r2_score

    from reglab._ladder import Exposed
    from reglab.models.glm import GLM

    df, e = _exposure_counts(seed=3)
    X, y = df[["x1", "x2"]], df["claims"].to_numpy()
    m = Exposed(GLM(family="poisson"), offset=True).fit(X, y, e)
    assert m.score(X, y, exposure=e) == pytest.approx(r2_score(y, m.predict(X, exposure=e)))
    assert m.score(X, y, exposure=e) > 0.5 > m.score(X, y)  # rates against counts score badly
