"""Inference helpers: NB theta ML, separation LP, residual definitions, intervals, Wald tests."""

import math

import numpy as np
import pytest
from scipy import optimize, stats

from reglab.core.families import get_family
from reglab.core.links import get_link
from reglab.inference import (
    detect_separation,
    glm_residuals,
    information_criteria,
    nb_loglik,
    poisson_limit_score,
    response_interval,
    theta_ml,
    theta_score,
    wald_test,
)


def test_nb_loglik_score_and_information_are_consistent():
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.5, 6.0, 3000)
    theta = 1.7
    y = rng.negative_binomial(theta, theta / (theta + mu)).astype(float)
    w = rng.uniform(0.5, 2.0, 3000)
    ref = float(w @ stats.nbinom.logpmf(y, theta, theta / (theta + mu)))
    np.testing.assert_allclose(nb_loglik(theta, y, mu, w), ref, rtol=1e-12)
    u, i = theta_score(theta, y, mu, w)
    h = 1e-5
    np.testing.assert_allclose(u, (nb_loglik(theta + h, y, mu, w)
                                   - nb_loglik(theta - h, y, mu, w)) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(i, -(theta_score(theta + h, y, mu, w)[0]
                                    - theta_score(theta - h, y, mu, w)[0]) / (2 * h), rtol=1e-6)
    # theta_ml is the maximiser (checked with a bounded scalar search on log theta)
    est = theta_ml(y, mu, w)
    opt = optimize.minimize_scalar(lambda s: -nb_loglik(math.exp(s), y, mu, w),
                                   bounds=(-5, 5), method="bounded",
                                   options={"xatol": 1e-10})
    np.testing.assert_allclose(est, math.exp(opt.x), rtol=1e-6)
    assert abs(theta_score(est, y, mu, w)[0]) < 1e-6


def test_poisson_limit_gives_infinite_theta():
    rng = np.random.default_rng(1)
    mu = rng.uniform(1, 5, 2000)
    y = rng.poisson(mu).astype(float)
    if poisson_limit_score(y, mu) > 0:  # make the sample (slightly) underdispersed
        y = np.round(mu)
    assert poisson_limit_score(y, mu) <= 0
    assert math.isinf(theta_ml(y, mu))
    np.testing.assert_allclose(nb_loglik(math.inf, y, mu),
                               stats.poisson.logpmf(y, mu).sum(), rtol=1e-12)


def test_separation_complete_quasi_and_none():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(80)
    z = rng.standard_normal(80)
    X = np.column_stack([x, z])
    complete = detect_separation(X, (x > 0.3).astype(float), column_names=["x", "z"])
    assert complete.separated and complete.complete and complete.columns == ["x"]
    xq = np.r_[np.zeros(20), rng.uniform(0.1, 1, 60)]
    yq = np.r_[rng.integers(0, 2, 20), np.ones(60)]  # x > 0 always 1, x = 0 mixed
    quasi = detect_separation(np.column_stack([xq, z]), yq, column_names=["x", "z"])
    assert quasi.separated and not quasi.complete and quasi.columns == ["x"]
    y = (rng.random(80) < 1 / (1 + np.exp(-x))).astype(float)
    y[np.argmax(x)], y[np.argmin(x)] = 0.0, 1.0  # an overlap at both ends
    assert not detect_separation(X, y).separated
    assert "quasi-complete" in quasi.message() and "'x'" in quasi.message()


def test_residual_definitions_by_hand():
    fam = get_family("poisson")
    y = np.array([0.0, 2.0, 5.0])
    mu = np.array([0.5, 2.5, 3.0])
    w = np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(glm_residuals(fam, y, mu, "response"), y - mu)
    np.testing.assert_allclose(glm_residuals(fam, y, mu, "pearson", w),
                               (y - mu) * np.sqrt(w / mu))
    d = 2 * (np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - (y - mu))
    np.testing.assert_allclose(glm_residuals(fam, y, mu, "deviance", w),
                               np.sign(y - mu) * np.sqrt(w * d))
    np.testing.assert_allclose(glm_residuals(fam, y, mu, "working"), (y - mu) / mu)
    with pytest.raises(ValueError, match="unknown residual kind"):
        glm_residuals(fam, y, mu, "studentized")


def test_response_interval_transforms_the_eta_interval():
    link = get_link("inverse")  # decreasing: the bounds must be swapped back
    eta = np.array([0.5, 1.0])
    se = np.array([0.1, 0.2])
    ci = response_interval(eta, se, link, level=0.9)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(ci["lwr"], 1 / (eta + z * se))
    np.testing.assert_allclose(ci["upr"], 1 / (eta - z * se))
    assert (ci["lwr"] < ci["fit"]).all() and (ci["fit"] < ci["upr"]).all()
    np.testing.assert_allclose(ci["se_fit"], se / eta**2)  # |d(1/eta)/d eta| se


def test_wald_and_information_criteria_formulas():
    params = np.array([1.0, 2.0])
    cov = np.array([[0.25, 0.05], [0.05, 1.0]])
    one = wald_test(params, cov, [1, 0])
    np.testing.assert_allclose(one["statistic"], 4.0)  # (1 / 0.5)^2
    np.testing.assert_allclose(one["pvalue"], stats.chi2.sf(4.0, 1))
    both = wald_test(params, cov, np.eye(2), df_resid=20)
    np.testing.assert_allclose(both["statistic"],
                               params @ np.linalg.solve(cov, params) / 2)
    assert both["distribution"] == "F" and both["df"] == (2, 20)
    aic, bic = information_criteria(-10.0, 3, 50)
    assert aic == 26.0 and bic == pytest.approx(20.0 + 3 * math.log(50))


@pytest.mark.parametrize("name, kw", [("poisson", {}), ("negative_binomial", {"alpha": 0.7}),
                                      ("bernoulli", {}), ("binomial", {})])
def test_loglik_and_null_deviance_by_distinct_values_equal_the_row_sums(name, kw):
    # r_loglik uses l(y; y) - D / 2 with l(y; y) summed over the distinct counts; null_deviance
    # sums the unit deviance at the mean over them: both must equal the direct row sums
    from reglab.inference import glm_stats as gs

    rng = np.random.default_rng(5)
    n = 4000
    fam = get_family(name, **kw)
    if name in ("bernoulli", "binomial"):
        y, mu = (rng.random(n) < 0.3).astype(float), rng.uniform(0.02, 0.95, n)
    else:
        y, mu = rng.poisson(2.0, n).astype(float), rng.uniform(0.3, 5.0, n)
    D = float(fam.deviance(y, mu))
    np.testing.assert_allclose(gs.r_loglik(fam, y, mu, None, D, n), float(fam.loglik(y, mu)),
                               rtol=1e-12)
    dev0, mu0 = gs.null_deviance(y, fam)
    ref = float(fam.deviance(y, np.full(n, y.mean())))
    np.testing.assert_allclose(dev0, ref, rtol=1e-12)
    np.testing.assert_allclose(mu0, y.mean(), rtol=1e-15)
    # weighted and non-count responses take the row-by-row path: same numbers
    w = rng.uniform(0.5, 2.0, n)
    np.testing.assert_allclose(gs.r_loglik(fam, y, mu, w, float(fam.deviance(y, mu, w)), n),
                               float(fam.loglik(y, mu, sample_weight=w)), rtol=1e-12)
