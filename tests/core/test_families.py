"""Families: gradients vs finite differences, Fisher weights, log-likelihoods vs scipy.stats,
hand-computed deviances, stability at |eta| = 1e4, and bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as st_h

from reglab.core.families import FAMILIES, get_family

from ._helpers import asx, npy

ELEMENTWISE = sorted(n for n in FAMILIES if n != "categorical")
FAMILY_LINKS = [(f, lk) for f in ELEMENTWISE for lk in FAMILIES[f].allowed_links]


def sample(name, rng, n=12):
    """Valid (y, mu) for family ``name``: means inside every allowed link's domain."""
    if name in ("binomial", "bernoulli"):
        mu = rng.uniform(0.1, 0.9, n)
        y = rng.integers(0, 2, n).astype(float) if name == "bernoulli" else rng.uniform(0, 1, n)
    else:
        mu = rng.uniform(0.5, 3.0, n)
        if name in ("poisson", "negative_binomial"):
            y = rng.integers(0, 8, n).astype(float)
        elif name == "tweedie":
            y = np.where(rng.uniform(size=n) < 0.3, 0.0, rng.gamma(2.0, 1.0, n))
        elif name == "gaussian":
            y = mu + rng.normal(size=n)
        else:
            y = rng.gamma(2.0, 1.0, n) + 0.05
    return y, mu


def test_registry_is_the_contract():
    assert set(FAMILIES) == {"gaussian", "binomial", "bernoulli", "poisson", "gamma",
                             "inverse_gaussian", "negative_binomial", "tweedie", "categorical"}
    fixed = {n for n, c in FAMILIES.items() if get_family(n).scale_fixed}
    assert fixed == {"binomial", "bernoulli", "poisson", "negative_binomial", "categorical"}
    for name, cls in FAMILIES.items():
        fam = get_family(name)
        assert fam.name == name and fam.link.name == cls.canonical_link
        assert get_family(fam.to_dict()) == fam


@pytest.mark.parametrize(("name", "link"), FAMILY_LINKS)
def test_gradient_matches_finite_difference_of_loss(xp, name, link, rng):
    fam = get_family(name, link=link)
    y, mu = sample(name, rng)
    eta = npy(fam.link.link(asx(xp, mu)))
    g, w = (npy(a) for a in fam.gradient_hessian(asx(xp, y), asx(xp, eta)))
    h = 1e-6
    pl = lambda e: npy(fam.pointwise_loss(asx(xp, y), asx(xp, e)))  # noqa: E731
    np.testing.assert_allclose(g, (pl(eta + h) - pl(eta - h)) / (2 * h), rtol=1e-6, atol=1e-8)
    # Fisher weight = derivative of g in eta at y = mu(eta) (the expected Hessian)
    y0 = npy(fam.mean(asx(xp, eta)))
    gy = lambda e: npy(fam.gradient_hessian(asx(xp, y0), asx(xp, e))[0])  # noqa: E731
    np.testing.assert_allclose(w, (gy(eta + h) - gy(eta - h)) / (2 * h), rtol=1e-6, atol=1e-9)
    # and from its definition mu'(eta)^2 / V(mu)
    dmu = npy(fam.link.inverse_derivative(asx(xp, eta)))
    np.testing.assert_allclose(w, dmu**2 / npy(fam.variance(asx(xp, mu))), rtol=1e-10)
    # the loss is the weighted mean of the pointwise loss; weights scale g and w
    sw = rng.uniform(0.5, 2.0, len(y))
    gw, ww = (npy(a) for a in fam.gradient_hessian(asx(xp, y), asx(xp, eta), asx(xp, sw)))
    np.testing.assert_allclose(gw, sw * g, rtol=1e-12)
    np.testing.assert_allclose(ww, sw * w, rtol=1e-12)
    np.testing.assert_allclose(float(fam.loss(asx(xp, y), asx(xp, eta), asx(xp, sw))),
                               np.sum(sw * pl(eta)) / sw.sum(), rtol=1e-12)


@pytest.mark.parametrize("name", ["gaussian", "binomial", "poisson", "negative_binomial"])
def test_canonical_gradient_is_mu_minus_y(name, rng):
    fam = get_family(name)
    y, mu = sample(name, rng)
    eta = fam.link.link(mu)
    g, _ = fam.gradient_hessian(y, eta)
    if name == "negative_binomial":  # log is not NB's canonical link: g = (mu - y)/(1 + alpha mu)
        np.testing.assert_allclose(g, (mu - y) / (1 + mu), rtol=1e-12)
    else:
        np.testing.assert_allclose(g, mu - y, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_zero_loss_at_a_perfect_prediction_and_positive_elsewhere(xp, name, rng):
    fam = get_family(name)
    y, mu = sample(name, rng)
    y = np.where(y > 0, y, 1.0) if name != "gaussian" else y
    if name == "bernoulli":
        y = np.clip(y, 0.2, 0.8)  # the deviance formula itself, at interior proportions
    np.testing.assert_allclose(npy(fam.unit_deviance(asx(xp, y), asx(xp, y))), 0.0, atol=1e-12)
    d = npy(fam.unit_deviance(asx(xp, y), asx(xp, mu)))
    assert np.all(d[np.abs(y - mu) > 1e-3] > 0)


@pytest.mark.parametrize(("name", "params", "y", "mu", "expected"), [
    ("gaussian", {}, 3.0, 1.0, 4.0),
    ("binomial", {}, 1.0, 0.5, 2 * np.log(2)),
    ("poisson", {}, 2.0, 1.0, 2 * (2 * np.log(2) - 1)),
    ("gamma", {}, 2.0, 1.0, 2 * (1 - np.log(2))),
    ("inverse_gaussian", {}, 2.0, 1.0, 0.5),
    ("negative_binomial", {"alpha": 1.0}, 2.0, 1.0, 2 * (2 * np.log(2) - 3 * np.log(1.5))),
    ("tweedie", {"power": 1.5}, 2.0, 1.0, 2 * (2**0.5 / -0.25 + 4 + 2)),
    ("tweedie", {"power": 0.0}, 3.0, 1.0, 4.0),
    ("tweedie", {"power": 3.0}, 2.0, 1.0, 0.5),
])
def test_hand_computed_unit_deviance(name, params, y, mu, expected):
    fam = get_family(name, **params)
    assert float(fam.unit_deviance(np.array([y]), np.array([mu]))[0]) == pytest.approx(
        expected, rel=1e-12)


def test_deviance_is_twice_the_log_likelihood_gap(rng):
    # d(y, mu) = 2 (loglik(y; y) - loglik(y; mu)) at scale 1, for every family with a loglik
    for name in ["gaussian", "poisson", "gamma", "inverse_gaussian", "negative_binomial"]:
        fam = get_family(name)
        y, mu = sample(name, rng)
        y = np.where(y > 0, y, 1.0)
        for i in range(3):
            gap = 2 * (fam.loglik(y[i:i + 1], y[i:i + 1]) - fam.loglik(y[i:i + 1], mu[i:i + 1]))
            np.testing.assert_allclose(gap, fam.unit_deviance(y[i:i + 1], mu[i:i + 1]), rtol=1e-10)


def test_loglik_matches_scipy_stats(xp, rng):
    y, mu = sample("gaussian", rng)
    w = rng.uniform(0.5, 2, len(y))
    ll = lambda fam, *a, **k: float(fam.loglik(*(asx(xp, v) for v in a), **k))  # noqa: E731
    gauss = get_family("gaussian")
    assert ll(gauss, y, mu, scale=2.5) == pytest.approx(st.norm.logpdf(y, mu, 2.5**0.5).sum())
    # Gaussian weights are precision weights (R): y_i ~ N(mu_i, scale / w_i)
    assert ll(gauss, y, mu, w, scale=2.5) == pytest.approx(
        st.norm.logpdf(y, mu, np.sqrt(2.5 / w)).sum(), rel=1e-12)
    # binomial with trials: y = proportion, sample_weight = trials
    m = rng.integers(1, 12, len(y)).astype(float)
    k = np.floor(rng.uniform(0, 1, len(y)) * (m + 1)).clip(0, m)
    p = rng.uniform(0.1, 0.9, len(y))
    assert ll(get_family("binomial"), k / m, p, m) == pytest.approx(
        st.binom.logpmf(k, m, p).sum(), rel=1e-12)
    yb = rng.integers(0, 2, len(y)).astype(float)
    assert ll(get_family("bernoulli"), yb, p) == pytest.approx(st.bernoulli.logpmf(yb, p).sum())
    yc, mc = sample("poisson", rng)
    assert ll(get_family("poisson"), yc, mc, w) == pytest.approx(
        (w * st.poisson.logpmf(yc, mc)).sum(), rel=1e-12)
    alpha = 0.7
    assert ll(get_family("negative_binomial", alpha=alpha), yc, mc) == pytest.approx(
        st.nbinom.logpmf(yc, n=1 / alpha, p=1 / (1 + alpha * mc)).sum(), rel=1e-12)
    yp, mp = sample("gamma", rng)
    phi = 0.6
    assert ll(get_family("gamma"), yp, mp, scale=phi) == pytest.approx(
        st.gamma.logpdf(yp, a=1 / phi, scale=mp * phi).sum(), rel=1e-12)
    assert ll(get_family("inverse_gaussian"), yp, mp, scale=phi) == pytest.approx(
        st.invgauss.logpdf(yp, mu=mp * phi, scale=1 / phi).sum(), rel=1e-12)
    # Tweedie at its closed-form powers equals the matching family
    assert ll(get_family("tweedie", power=2.0), yp, mp, scale=phi) == pytest.approx(
        st.gamma.logpdf(yp, a=1 / phi, scale=mp * phi).sum(), rel=1e-12)
    assert ll(get_family("tweedie", power=3.0), yp, mp, scale=phi) == pytest.approx(
        st.invgauss.logpdf(yp, mu=mp * phi, scale=1 / phi).sum(), rel=1e-12)


def _tweedie_brute_force(y, mu, phi, p, jmax=600):
    """Independent reference: sum_j Poisson(j; lam) * Gamma(y; j a, c) with scipy.stats."""
    lam = mu ** (2 - p) / (phi * (2 - p))
    a, c = (2 - p) / (p - 1), phi * (p - 1) * mu ** (p - 1)
    if y == 0:
        return -lam
    j = np.arange(1, jmax)
    return np.log(np.sum(st.poisson.pmf(j, lam) * st.gamma.pdf(y, a * j, scale=c)))


@pytest.mark.parametrize(("p", "phi"), [(1.2, 0.5), (1.5, 1.0), (1.8, 2.0)])
def test_tweedie_series_loglik(xp, p, phi):
    fam = get_family("tweedie", power=p)
    y = np.array([0.0, 0.3, 1.0, 2.5, 7.0])
    mu = np.array([1.0, 0.5, 2.0, 1.5, 4.0])
    got = [float(fam.loglik(asx(xp, y[i:i + 1]), asx(xp, mu[i:i + 1]), scale=phi))
           for i in range(len(y))]
    ref = [_tweedie_brute_force(yi, mi, phi, p) for yi, mi in zip(y, mu)]
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_tweedie_density_integrates_to_one():
    from scipy.integrate import quad

    fam = get_family("tweedie", power=1.4)
    mu, phi = 2.0, 1.3
    dens = lambda t: float(np.exp(fam.loglik(np.array([t]), np.array([mu]), scale=phi)))  # noqa
    total = quad(dens, 0, 80, limit=200)[0] + dens(0.0)
    assert total == pytest.approx(1.0, abs=1e-8)


def test_tweedie_loglik_unavailable_powers_raise():
    with pytest.raises(ValueError, match="not for power=2.5"):
        get_family("tweedie", power=2.5).loglik(np.array([1.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="not for power=1.0 with scale=2.0"):
        get_family("tweedie", power=1.0).loglik(np.array([1.0]), np.array([1.0]), scale=2.0)


@settings(max_examples=60, deadline=None)
@given(st_h.sampled_from(ELEMENTWISE), st_h.floats(0.01, 0.99), st_h.floats(0.01, 0.99))
def test_unit_deviance_is_nonnegative_and_zero_only_at_y_equal_mu(name, a, b):
    fam = get_family(name)
    lo, hi = {"gaussian": (-5.0, 5.0), "binomial": (0.0, 1.0), "bernoulli": (0.0, 1.0)}.get(
        name, (0.05, 20.0))
    y, mu = lo + a * (hi - lo), lo + b * (hi - lo)
    d = float(fam.unit_deviance(np.array([y]), np.array([mu]))[0])
    assert d >= -1e-12
    if abs(y - mu) > 1e-6 * max(1.0, abs(y)):
        assert d > 0
