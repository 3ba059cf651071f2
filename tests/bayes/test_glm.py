"""BayesianGLM: GLM limit against statsmodels, globular-cluster NB model with errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from reglab.bayes import BayesianGLM, SamplingWarning

from .conftest import FAST


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return est.fit(*args, **kwargs)


def test_poisson_without_errors_matches_statsmodels_glm():
    """No measurement error, weak priors, n = 200: the posterior mean sits within
    0.15 SE + 4 Monte Carlo errors of the MLE (the O(1/n) mean-vs-mode gap is ~0.1 SE here) and
    the posterior sd matches the Fisher standard error within 15%."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 2))
    y = rng.poisson(np.exp(0.5 + x @ np.array([0.8, -0.3])))
    est = _quiet_fit(BayesianGLM("poisson", random_state=0, **FAST), x, y)
    ref = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit()
    table = est.summary()
    for name, mle, se in zip(["intercept", "x1", "x2"], ref.params, ref.bse):
        row = table.loc[name]
        assert abs(row["mean"] - mle) < 0.15 * se + 4 * row["sd"] / np.sqrt(row["ess"]), name
        assert 0.85 < row["sd"] / se < 1.15, (name, row["sd"], se)
    mean, lo, hi = est.predict(x[:5], return_interval=True)
    eta = est._draws("intercept")[:, None] + est._draws("coef") @ x[:5].T
    np.testing.assert_allclose(mean, np.exp(eta).mean(axis=0))
    assert np.all((lo < mean) & (mean < hi))
    rep = est.sample_posterior_predictive(x[:5], n_draws=100)
    assert rep.shape == (100, 5) and np.all(rep == np.round(rep)) and np.all(rep >= 0)


def test_poisson_with_exposure_matches_statsmodels_offset():
    """Counts over exposures 0.2-20 (log(exposure) the offset): the same 0.15 SE + 4 MC error
    agreement with statsmodels' ``GLM(..., exposure=)`` as without; predict with ``exposure``
    is the rate times the exposure; the fitted exposure is kept in the saved data."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 1))
    e = np.exp(rng.uniform(np.log(0.2), np.log(20.0), 200))
    y = rng.poisson(e * np.exp(-1.0 + 0.7 * x[:, 0]))
    est = _quiet_fit(BayesianGLM("poisson", random_state=0, **FAST), x, y, exposure=e)
    ref = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson(), exposure=e).fit()
    table = est.summary()
    for name, mle, se in zip(["intercept", "x1"], ref.params, ref.bse):
        row = table.loc[name]
        assert abs(row["mean"] - mle) < 0.15 * se + 4 * row["sd"] / np.sqrt(row["ess"]), name
        assert 0.85 < row["sd"] / se < 1.15, (name, row["sd"], se)
    rate = est.predict(x[:5])
    np.testing.assert_allclose(est.predict(x[:5], exposure=e[:5]), rate * e[:5])
    mean, lo, hi = est.predict(x[:5], return_interval=True, exposure=e[:5])
    np.testing.assert_allclose(mean, rate * e[:5])
    assert np.all((lo < mean) & (mean < hi))
    with pytest.warns(UserWarning, match="n_draws=400 is more than the 300 posterior draws"):
        rep = est.sample_posterior_predictive(x[:5], n_draws=400, exposure=np.full(5, 50.0))
    # 300 replicated counts (every draw) of mean 50 x rate (~6-41): the Monte Carlo error of
    # their mean is <= 2.5% (Poisson noise plus the rate's posterior spread); 8% is > 3 sd
    np.testing.assert_allclose(rep.mean(axis=0), 50 * rate, rtol=0.08)
    back = BayesianGLM.from_dict(json.loads(json.dumps(est.to_dict())))
    np.testing.assert_allclose(back.data_["exposure"], e)
    np.testing.assert_allclose(back.predict(x[:3], exposure=e[:3]),
                               est.predict(x[:3], exposure=e[:3]))


def test_exposure_is_checked_before_sampling():
    x, y = np.arange(6.0), np.array([0, 1, 1, 2, 3, 5])
    with pytest.raises(ValueError, match="exposure must be > 0.*-1.0 at row 2"):
        BayesianGLM("poisson").fit(x, y, exposure=[1, 1, -1, 1, 1, 1])
    with pytest.raises(ValueError, match="exposure has 2 rows but X has 6"):
        BayesianGLM("negative_binomial").fit(x, y, exposure=[1, 2])
    with pytest.raises(ValueError, match="count families.*not gaussian"):
        BayesianGLM("gaussian").fit(x, y, exposure=np.ones(6))


@pytest.mark.slow
def test_globular_cluster_negative_binomial_with_errors_recovers_truth():
    """de Souza et al. (2015) model on simulated clusters: N ~ NB2(exp(b0 + b1 M_V*), k = 1.5),
    M_V observed with sd 0.25 mag, counts with errors e_N = 10% + 1. With the paper's priors the
    90% intervals contain the true b0, b1 and size k; the latent magnitudes stay inside the
    paper's U(-26, -10) prior, with average posterior sd at most the measurement error."""
    rng = np.random.default_rng(8)
    n = 80
    mv_true = rng.uniform(-23.0, -16.0, n)
    mu = np.exp(-8.0 - 0.6 * mv_true)
    counts = rng.negative_binomial(1.5, 1.5 / (1.5 + mu))
    e_mv = np.full(n, 0.25)
    mv = mv_true + e_mv * rng.standard_normal(n)
    e_n = np.round(0.1 * counts + 1.0)
    est = _quiet_fit(BayesianGLM("negative_binomial", priors="de_souza2015", random_state=1,
                                 **FAST), mv, counts, x_err=e_mv, y_err=e_n)
    table = est.summary()
    assert table.loc["intercept", "5%"] < -8.0 < table.loc["intercept", "95%"]
    assert table.loc["x1", "5%"] < -0.6 < table.loc["x1", "95%"]
    size = est._draws("size")
    assert np.quantile(size, 0.05) < 1.5 < np.quantile(size, 0.95)
    assert est.latent_x_.shape == (n, 1)
    assert np.all((est.latent_x_ > -26) & (est.latent_x_ < -10))
    # the counts carry information on M_V through the relation: on average the latent magnitudes
    # are known at least as well as the measurement says, and are no further from the truth
    assert est.latent_x_sd_.mean() < 0.25 * 1.02
    rms_latent = np.sqrt(np.mean((est.latent_x_[:, 0] - mv_true) ** 2))
    rms_observed = np.sqrt(np.mean((mv - mv_true) ** 2))
    assert rms_latent < 1.05 * rms_observed, (rms_latent, rms_observed)
    back = BayesianGLM.from_dict(json.loads(json.dumps(est.to_dict())))
    np.testing.assert_allclose(back.latent_x_, est.latent_x_)
    np.testing.assert_allclose(back.predict(mv[:4]), est.predict(mv[:4]))
    assert back.dispersion_ == pytest.approx(est.dispersion_)


@pytest.mark.slow
def test_sampling_latent_x_agrees_with_integrating_it_out():
    """BayesianGLM('gaussian', x_err=...) samples the 50 latent x; ErrorsInVariablesRegression
    integrates them out. With identical priors (one learned Normal for the latent x, same
    standardised regression and scatter priors) the two posteriors are the same distribution:
    means agree within 4 combined Monte Carlo errors, sds within 25%."""
    from reglab.bayes import ErrorsInVariablesRegression

    from .conftest import simulate_eiv

    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(21))
    sampled = _quiet_fit(BayesianGLM("gaussian", random_state=2, **FAST), x, y,
                         x_err=x_err, y_err=y_err)
    closed = _quiet_fit(ErrorsInVariablesRegression(random_state=2, **FAST), x, y,
                        x_err=x_err, y_err=y_err)
    a, b = sampled.summary(), closed.summary()
    for name in ("intercept", "x1", "scatter"):
        mc = np.hypot(a.loc[name, "sd"] / np.sqrt(a.loc[name, "ess"]),
                      b.loc[name, "sd"] / np.sqrt(b.loc[name, "ess"]))
        assert abs(a.loc[name, "mean"] - b.loc[name, "mean"]) < 4 * mc, (name, a.loc[name],
                                                                         b.loc[name])
        assert 0.75 < a.loc[name, "sd"] / b.loc[name, "sd"] < 1.25, name
