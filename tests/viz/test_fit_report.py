"""``reglab fit --report``: one model's report, with in-sample predictions (checked through the
report's text and the figures' data, not pixels)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from reglab.data.tabular import prepare
from reglab.viz import compare_report as cr
from reglab.viz.fit_report import build_fit_report, fitted_values


def _claims(n=200, seed=2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.uniform(20, 70, n), "region": rng.choice(["n", "s"], n)})
    years = rng.uniform(0.5, 5.0, n)
    df["claims"] = rng.poisson(years * np.exp(-2 + 0.03 * df.age + 0.4 * (df.region == "s")))
    return prepare(df, "claims"), pd.Series(years, name="years")


def test_glm_with_exposure_report_uses_in_sample_counts_and_its_own_variance(monkeypatch):
    from reglab.compare import design
    from reglab.models.glm import GLM

    data, years = _claims()
    model = GLM(family="poisson").fit(design(data), data.y, exposure=years)
    mu = fitted_values(model, data, years.to_numpy())
    np.testing.assert_allclose(mu, model.predict(design(data), exposure=years), rtol=1e-12)
    seen = {}
    draw = cr.plots.residual_diagnostics

    def residuals(y, fitted, **kw):
        seen.update(y=y, fitted=fitted, **kw)
        return draw(y, fitted, **kw)

    monkeypatch.setattr(cr.plots, "residual_diagnostics", residuals)
    html = build_fit_report(model, data, "glm (poisson)", "claims.csv", years).html()
    np.testing.assert_allclose(seen["fitted"], mu)
    np.testing.assert_allclose(seen["pearson_scale"], np.sqrt(mu))  # Poisson: V(mu) = mu
    for section in ("Data", "Model summary", "Model fits", "Residual diagnostics",
                    "Partial effects", "Loss curves"):
        assert f">{section}</h2>" in html, section
    assert "log(years) is the model&#x27;s offset" in html
    assert "In-sample residuals (observed minus the fit on all rows) of the model, as Pearson " \
           "residuals" in html
    assert "Observed against in-sample (fitted on all rows) predictions" in html
    assert "Leaderboard" not in html and "held-out" not in html


def test_classifier_report_draws_decision_regions_of_two_features():
    from reglab.compare import design
    from reglab.models.logistic import LogisticRegression

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150)})
    df["y"] = np.where(df.a + 0.5 * df.b + rng.normal(size=150) > 0, "yes", "no")
    data = prepare(df, "y")
    model = LogisticRegression().fit(design(data), data.y)
    P = fitted_values(model, data)
    assert P.shape == (150, 2)
    np.testing.assert_allclose(P[:, 1], model.predict_proba(design(data))[:, 1])
    html = build_fit_report(model, data, "logistic", "x.csv").html()
    assert "Decision regions" in html and "Residual diagnostics" not in html
    assert "probability of y = &#x27;yes&#x27;" in html


@pytest.mark.slow
def test_bayesian_report_shows_the_posterior_fit_and_trace():
    pytest.importorskip("numpyro")
    from reglab.bayes import ErrorsInVariablesRegression, SamplingWarning
    from reglab.compare import design

    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, 40)
    df = pd.DataFrame({"x": x + rng.normal(scale=0.05, size=40)})
    df["logM"] = 1 + 2 * x + rng.normal(scale=0.1, size=40)
    data = prepare(df, "logM")
    model = ErrorsInVariablesRegression(num_warmup=300, num_samples=300, num_chains=1,
                                        verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # few draws: noisy intervals are fine
        model.fit(design(data), data.y, x_err=0.05)
    html = build_fit_report(model, data, "eiv", "m.csv").html()
    assert ">Posterior</h2>" in html and "trace plot" in html
    assert "with their measurement errors as bars" in html
    assert ">Model fits</h2>" not in html  # one feature: the posterior plot is the fit
    assert ">Partial effects</h2>" not in html  # ... and its partial effect


def test_binomial_glm_report_reads_its_mean_as_the_probability():
    """A 0/1 target fitted by a binomial GLM (no predict_proba): the report's decision regions
    classify by P >= 0.5 and the partial effects are probabilities (it used to crash)."""
    from reglab.compare import design
    from reglab.models.glm import GLM

    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    df["y"] = np.where(df.a - df.b + rng.normal(size=200) > 0, "up", "down")
    data = prepare(df, "y")
    model = GLM(family="binomial").fit(design(data), data.y)
    named = cr._Named(model, data.feature_names)
    p = model.predict(design(data))
    np.testing.assert_array_equal(named.predict(data.X), (p >= 0.5).astype(int))
    np.testing.assert_allclose(named.predict_proba(data.X)[:, 1], p)
    assert np.mean(named.predict(data.X) == data.y) > 0.7
    html = build_fit_report(model, data, "glm (binomial)", "b.csv").html()
    assert "Decision regions" in html and "probability of y = &#x27;up&#x27;" in html


def test_one_feature_classifier_keeps_its_probability_curve():
    """One feature: a regression's fitted curve is its partial effect, so that panel is left
    out, but a classifier's fit is a calibration plot, and P(class) against x stays."""
    from reglab.compare import design
    from reglab.models.linear import LinearRegression
    from reglab.models.logistic import LogisticRegression

    rng = np.random.default_rng(6)
    df = pd.DataFrame({"x": rng.normal(size=120)})
    df["ok"] = np.where(df.x + rng.normal(size=120) > 0, "yes", "no")
    data = prepare(df, "ok")
    html = build_fit_report(LogisticRegression().fit(design(data), data.y), data, "logistic",
                            "b.csv").html()
    assert ">Partial effects</h2>" in html and "Calibration" in html
    reg = prepare(df.assign(y=2 * df.x).drop(columns="ok"), "y")
    html = build_fit_report(LinearRegression().fit(design(reg), reg.y), reg, "linear",
                            "r.csv").html()
    assert ">Partial effects</h2>" not in html and "fitted curves" in html
