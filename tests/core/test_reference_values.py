"""Published and independent reference values: R's Dobson Poisson example and statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from reglab.core.families import FAMILIES, get_family
from reglab.core.links import LINKS, get_link

sm = pytest.importorskip("statsmodels.api")


def test_r_glm_help_page_dobson_poisson_example():
    # R's ?glm: counts ~ outcome + treatment, poisson(). A main-effects log-linear model on a
    # complete two-way table has the closed-form MLE fitted = row total * column total / N.
    # R prints: Null deviance 10.581 on 8 df, Residual deviance 5.1291 on 4 df, AIC 56.76.
    table = np.array([[18, 17, 15], [20, 10, 20], [25, 13, 12]], dtype=float)
    fitted = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    y, mu = table.ravel(), fitted.ravel()
    fam = get_family("poisson")
    assert float(fam.deviance(y, mu)) == pytest.approx(5.1291, abs=5e-5)
    assert float(fam.deviance(y, np.full(9, y.mean()))) == pytest.approx(10.581, abs=5e-4)
    assert -2 * float(fam.loglik(y, mu)) + 2 * 5 == pytest.approx(56.76, abs=5e-3)


SM_LINKS = {"identity": "Identity", "logit": "Logit", "probit": "Probit", "cloglog": "CLogLog",
            "log": "Log", "inverse": "InversePower", "inverse_squared": "InverseSquared",
            "sqrt": "Sqrt"}


@pytest.mark.parametrize("name", sorted(SM_LINKS))
def test_links_agree_with_statsmodels(name):
    ours, theirs = get_link(name), getattr(sm.families.links, SM_LINKS[name])()
    mu = {"real": np.linspace(-2, 2, 9), "positive": np.linspace(0.3, 4, 9),
          "unit": np.linspace(0.05, 0.95, 9)}[LINKS[name].domain]
    eta = theirs(mu)
    np.testing.assert_allclose(ours.link(mu), eta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.inverse(eta), theirs.inverse(eta), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.derivative(mu), theirs.deriv(mu), rtol=1e-10)
    np.testing.assert_allclose(ours.inverse_derivative(eta), theirs.inverse_deriv(eta),
                               rtol=1e-10)
    np.testing.assert_allclose(ours.inverse_second_derivative(eta), theirs.inverse_deriv2(eta),
                               rtol=1e-6, atol=1e-12)


def _sm_family(name, link):
    lk = getattr(sm.families.links, SM_LINKS[link])()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns about non-default links
        return {
            "gaussian": lambda: sm.families.Gaussian(lk),
            "binomial": lambda: sm.families.Binomial(lk),
            "bernoulli": lambda: sm.families.Binomial(lk),
            "poisson": lambda: sm.families.Poisson(lk),
            "gamma": lambda: sm.families.Gamma(lk),
            "inverse_gaussian": lambda: sm.families.InverseGaussian(lk),
            "negative_binomial": lambda: sm.families.NegativeBinomial(lk, alpha=0.7),
            "tweedie": lambda: sm.families.Tweedie(lk, var_power=1.5),
        }[name]()


@pytest.mark.parametrize("name", sorted(n for n in FAMILIES if n != "categorical"))
def test_families_agree_with_statsmodels(name, rng):
    fam = get_family(name, **({"alpha": 0.7} if name == "negative_binomial" else {}))
    theirs = _sm_family(name, fam.link.name)
    n = 15
    if name in ("binomial", "bernoulli"):
        mu, y = rng.uniform(0.1, 0.9, n), rng.integers(0, 2, n).astype(float)
    elif name in ("poisson", "negative_binomial"):
        mu, y = rng.uniform(0.5, 4, n), rng.integers(0, 9, n).astype(float)
    else:
        mu = rng.uniform(0.5, 3, n)
        y = rng.gamma(2.0, 1.0, n) + 0.05
        if name == "tweedie":
            y[:4] = 0.0
    np.testing.assert_allclose(fam.variance(mu), theirs.variance(mu), rtol=1e-12)
    np.testing.assert_allclose(fam.unit_deviance(y, mu), theirs._resid_dev(y, mu), rtol=1e-10)
    w = rng.uniform(0.5, 2, n)
    np.testing.assert_allclose(float(fam.deviance(y, mu, w)),
                               theirs.deviance(y, mu, freq_weights=w), rtol=1e-10)
    scale = 1.0 if fam.scale_fixed else 0.8
    np.testing.assert_allclose(float(fam.loglik(y, mu, scale=scale)),
                               theirs.loglike(y, mu, scale=scale), rtol=1e-9)
