"""ErrorsInVariablesRegression: coverage, BCES, OLS limit, outputs, persistence."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

from reglab.bayes import ErrorsInVariablesRegression, Priors, SamplingWarning

from .conftest import FAST, N_EIV, simulate_eiv


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return est.fit(*args, **kwargs)


def test_coverage_of_90pct_intervals_over_repeated_simulations():
    """20 simulated data sets (fixed seed): the 90% intervals of alpha, beta and the scatter
    should cover the truth ~90% of the time. Binomial sd of one rate over 20 sets is 0.067; we
    require each rate >= 0.70 (3 sd below 0.9) and the pooled rate over 60 intervals in
    [0.78, 0.98]."""
    rng = np.random.default_rng(2024)
    truth = {"intercept": 1.0, "x1": 2.0, "scatter": 0.4}
    hits = {k: 0 for k in truth}
    n_sim = 20
    for i in range(n_sim):
        x, y, x_err, y_err = simulate_eiv(rng)
        est = _quiet_fit(ErrorsInVariablesRegression(random_state=i, **FAST), x, y,
                         x_err=x_err, y_err=y_err)
        table = est.summary(level=0.9)
        for k, v in truth.items():
            hits[k] += int(table.loc[k, "5%"] <= v <= table.loc[k, "95%"])
    rates = {k: h / n_sim for k, h in hits.items()}
    assert all(r >= 0.70 for r in rates.values()), rates
    assert 0.78 <= sum(hits.values()) / (3 * n_sim) <= 0.98, rates


def test_naive_ols_is_attenuated_but_eiv_is_not():
    """With error variance ~0.08 on x of unit variance, OLS slopes shrink by ~8%; over the same
    simulations the posterior mean is unbiased (mean over 10 sets within 0.1 of beta = 2)."""
    rng = np.random.default_rng(5)
    post, ols = [], []
    for i in range(10):
        x, y, x_err, y_err = simulate_eiv(rng)
        est = _quiet_fit(ErrorsInVariablesRegression(random_state=i, **FAST), x, y,
                         x_err=x_err, y_err=y_err)
        post.append(est.coef_[0])
        ols.append(np.polyfit(x, y, 1)[0])
    assert abs(np.mean(post) - 2.0) < 0.1
    assert np.mean(ols) < np.mean(post) - 0.05


def test_agrees_with_bces_y_given_x():
    """BCES(Y|X) is the moment estimator of the same model (y regressed on x with intrinsic
    scatter in y, errors on both); the orthogonal BCES fit answers a different (symmetric)
    question. Agreement within 2 BCES standard errors, and with the intercept too."""
    bces = pytest.importorskip("bces.bces")
    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(11), beta=1.5, alpha=-0.5)
    est = _quiet_fit(ErrorsInVariablesRegression(random_state=1, **FAST), x, y,
                     x_err=x_err, y_err=y_err)
    a, b, aerr, berr, _ = bces.bces(x, x_err, y, y_err, np.zeros(N_EIV))
    assert abs(est.coef_[0] - a[0]) < 2 * aerr[0], (est.coef_, a[0], aerr[0])
    assert abs(est.intercept_ - b[0]) < 2 * berr[0], (est.intercept_, b[0], berr[0])


def test_zero_errors_reduce_to_ols():
    """x_err = y_err = 0: y | x is an ordinary Gaussian regression whose posterior mean under
    flat-ish priors equals OLS (exactly, up to the N(0, 10) standardised prior, < 1e-3 SE) and
    whose sd is the OLS standard error times sqrt((n-2)/(n-4)) under a 1/sigma prior (HalfCauchy
    is close: 15%). Tolerance on the mean: 4 Monte Carlo standard errors."""
    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(3), zero_errors=True)
    est = _quiet_fit(ErrorsInVariablesRegression(random_state=0, **FAST), x, y,
                     x_err=x_err, y_err=y_err)
    design = np.column_stack([np.ones(N_EIV), x])
    coef, res, *_ = np.linalg.lstsq(design, y, rcond=None)
    s2 = res[0] / (N_EIV - 2)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(design.T @ design)))
    table = est.summary()
    for name, c, e in zip(["intercept", "x1"], coef, se):
        mc_err = table.loc[name, "sd"] / np.sqrt(table.loc[name, "ess"])
        assert abs(table.loc[name, "mean"] - c) < 4 * mc_err, (name, table.loc[name], c)
        ratio = table.loc[name, "sd"] / (e * np.sqrt((N_EIV - 2) / (N_EIV - 4)))
        assert 0.85 < ratio < 1.15, (name, ratio)


def test_summary_predict_and_predictive(eiv_fit):
    table = eiv_fit.summary(level=0.8)
    assert list(table.index) == ["intercept", "x1", "scatter"]
    assert list(table.columns) == ["mean", "sd", "10%", "90%", "r_hat", "ess"]
    assert np.all(table["10%"] < table["mean"]) and np.all(table["mean"] < table["90%"])
    assert eiv_fit.coef_.shape == (1,) and isinstance(eiv_fit.intercept_, float)
    grid = np.linspace(-2, 2, 7)
    mean, lo, hi = eiv_fit.predict(grid, return_interval=True, level=0.9)
    np.testing.assert_allclose(mean, eiv_fit.intercept_ + eiv_fit.coef_[0] * grid, rtol=1e-10)
    assert np.all(lo < mean) and np.all(mean < hi)
    # the band is narrowest near the centre of the data
    width = hi - lo
    assert width[3] < width[0] and width[3] < width[-1]
    rep = eiv_fit.sample_posterior_predictive(n_draws=50)
    assert rep.shape == (50, N_EIV)
    with pytest.warns(UserWarning) as record:
        rep_new = eiv_fit.sample_posterior_predictive(grid, n_draws=2000)
    assert rep_new.shape == (300, 7)  # capped at the number of posterior draws, and says so
    assert str(record[0].message) == ("n_draws=2000 is more than the 300 posterior draws kept "
                                      "(num_chains x num_samples); returning all 300, each once")
    np.testing.assert_allclose(rep_new.mean(axis=0), mean, atol=0.2)
    # predictive variance at a true x = var(posterior mean line) + E[scatter^2] (y_err = 0 here)
    line = eiv_fit._mean_draws(grid[:, None])
    expected = np.sqrt(line.var(axis=0) + np.mean(eiv_fit._draws("scatter") ** 2))
    np.testing.assert_allclose(rep_new.std(axis=0), expected, rtol=0.2)


def test_latent_x_draws_shrink_towards_the_relation(eiv_fit):
    """Draws of the true x given the data: mean between the observed x and the prior mean, sd
    below the measurement error (the data and the relation both inform x)."""
    lat = eiv_fit.sample_latent_x(n_draws=100)
    assert lat.shape == (100, N_EIV, 1)
    sd = lat[:, :, 0].std(axis=0)
    assert np.all(sd < eiv_fit.data_["x_err"][:, 0])
    assert np.all(sd > 0)


def test_save_load_round_trip(eiv_fit, tmp_path):
    d = eiv_fit.to_dict()
    text = json.dumps(d)  # JSON-serialisable as promised
    back = ErrorsInVariablesRegression.from_dict(json.loads(text))
    np.testing.assert_allclose(back.coef_, eiv_fit.coef_)
    assert back.intercept_ == pytest.approx(eiv_fit.intercept_)
    np.testing.assert_allclose(back.predict([0.5, 1.0]), eiv_fit.predict([0.5, 1.0]))
    path = tmp_path / "eiv.json"
    eiv_fit.save(str(path))
    again = ErrorsInVariablesRegression.load(str(path))
    assert again.summary().equals(eiv_fit.summary())
    with pytest.raises(ValueError, match="not a saved"):
        ErrorsInVariablesRegression.from_dict({**d, "class": "BayesianGLM"})
    with pytest.raises(ValueError, match="version"):
        ErrorsInVariablesRegression.from_dict({**d, "version": 99})


def test_save_load_keeps_a_priors_object(eiv_fit):
    est = copy.copy(eiv_fit)
    est.priors = Priors.lecture(scatter_on="precision")
    back = ErrorsInVariablesRegression.from_dict(json.loads(json.dumps(est.to_dict())))
    assert back.priors == est.priors


def test_plots_return_figures(eiv_fit):
    for fig in (eiv_fit.plot_fit(), eiv_fit.plot_trace(), eiv_fit.plot_pairs()):
        assert isinstance(fig, Figure)
        assert fig.axes
    with pytest.raises(ValueError, match="unknown feature"):
        eiv_fit.plot_fit(feature="nope")


def test_refit_with_same_shape_reuses_compiled_kernel(eiv_fit):
    """Second fit of the same shape must not recompile (seconds, not tens of seconds)."""
    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(99))
    est = _quiet_fit(ErrorsInVariablesRegression(random_state=3, **FAST), x, y,
                     x_err=x_err, y_err=y_err)
    assert est.sampling_seconds_ < 15.0


@pytest.mark.slow
def test_two_covariates_mixture_prior_and_correlated_errors():
    """p = 2 covariates with correlated true values, K = 2 mixture prior, x-y error covariance:
    the 99% intervals contain the true slopes and scatter, and the latent draws have the right
    shape. (One more compiled kernel: the Cholesky path and the LKJ correlation prior.)"""
    rng = np.random.default_rng(4)
    n = N_EIV
    xi = rng.multivariate_normal([0.0, 1.0], [[1.0, 0.5], [0.5, 1.0]], n)
    eta = 0.5 + xi @ np.array([1.5, -1.0]) + 0.3 * rng.standard_normal(n)
    x_err = rng.uniform(0.1, 0.3, (n, 2))
    y_err = rng.uniform(0.1, 0.3, n)
    rho = 0.5  # correlation between the error on x1 and the error on y
    xy_cov = np.column_stack([rho * x_err[:, 0] * y_err, np.zeros(n)])
    errs = np.stack([rng.multivariate_normal([0, 0, 0], [[x_err[i, 0] ** 2, 0, xy_cov[i, 0]],
                                                       [0, x_err[i, 1] ** 2, 0],
                                                       [xy_cov[i, 0], 0, y_err[i] ** 2]])
                     for i in range(n)])
    X, y = xi + errs[:, :2], eta + errs[:, 2]
    short = {**FAST, "num_warmup": 150, "num_samples": 200}  # its own kernel anyway
    est = _quiet_fit(ErrorsInVariablesRegression(n_components=2, random_state=0, **short), X, y,
                     x_err=x_err, y_err=y_err, xy_cov=xy_cov)
    table = est.summary(level=0.99)
    for name, truth in [("intercept", 0.5), ("x1", 1.5), ("x2", -1.0), ("scatter", 0.3)]:
        assert table.loc[name, "0.5%"] < truth < table.loc[name, "99.5%"], (name, table)
    assert est.sample_latent_x(n_draws=20).shape == (20, n, 2)
    # intercept 1, coef 2, scatter 1, weights 2, means 2x2, sds 2x2, correlation Cholesky 2x2x2
    assert est.summary(all_parameters=True).shape[0] == 1 + 2 + 1 + 2 + 4 + 4 + 8
