"""Links: round trips, derivatives vs finite differences, tails, the multinomial logit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc

from reglab.core.links import LINKS, get_link

from ._helpers import asx, central_diff, npy

ELEMENTWISE = sorted(n for n in LINKS if LINKS[n].domain != "simplex")
MU_GRID = {
    "real": np.linspace(-3.0, 3.0, 25),
    "positive": np.linspace(0.2, 5.0, 25),
    "unit": np.linspace(0.02, 0.98, 25),
}


def test_registry_is_the_contract():
    assert set(LINKS) == {"identity", "logit", "probit", "cloglog", "log", "inverse",
                          "inverse_squared", "sqrt", "multinomial_logit"}
    for name, cls in LINKS.items():
        assert cls.name == name and cls.domain in {"real", "positive", "unit", "simplex"}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_round_trips(xp, name):
    link = get_link(name)
    mu = MU_GRID[link.domain]
    eta = npy(link.link(asx(xp, mu)))
    np.testing.assert_allclose(npy(link.inverse(asx(xp, eta))), mu, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(npy(link.link(link.inverse(asx(xp, eta)))), eta, rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivatives_match_finite_differences(xp, name):
    link = get_link(name)
    mu = MU_GRID[link.domain]
    eta = npy(link.link(asx(xp, mu)))
    on = lambda f: (lambda t: npy(f(asx(xp, t))))  # noqa: E731
    np.testing.assert_allclose(npy(link.derivative(asx(xp, mu))),
                               central_diff(on(link.link), mu), rtol=1e-6)
    np.testing.assert_allclose(npy(link.inverse_derivative(asx(xp, eta))),
                               central_diff(on(link.inverse), eta), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(npy(link.inverse_second_derivative(asx(xp, eta))),
                               central_diff(on(link.inverse_derivative), eta), rtol=1e-5,
                               atol=1e-8)
    # chain rule: (d eta / d mu) (d mu / d eta) = 1
    prod = npy(link.derivative(asx(xp, mu))) * npy(link.inverse_derivative(asx(xp, eta)))
    np.testing.assert_allclose(prod, 1.0, rtol=1e-10)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_log_inverse_agrees_with_log_of_inverse(xp, name):
    link = get_link(name)
    eta = asx(xp, npy(link.link(asx(xp, MU_GRID[link.domain]))))
    mu = npy(link.inverse(eta))
    if link.domain == "real":
        return  # log mu undefined for negative identity means; families never ask for it
    np.testing.assert_allclose(npy(link.log_inverse(eta)), np.log(mu), rtol=1e-12, atol=1e-14)
    if link.domain == "unit":
        np.testing.assert_allclose(npy(link.log1m_inverse(eta)), np.log1p(-mu), rtol=1e-10)


def test_reference_values():
    # independent: scipy's expit / ndtr / ndtri and the closed forms
    eta = np.array([-2.0, 0.3, 1.7])
    np.testing.assert_allclose(get_link("logit").inverse(eta), sc.expit(eta), rtol=1e-15)
    np.testing.assert_allclose(get_link("probit").inverse(eta), sc.ndtr(eta), rtol=1e-15)
    np.testing.assert_allclose(get_link("cloglog").inverse(eta), 1 - np.exp(-np.exp(eta)),
                               rtol=1e-14)
    np.testing.assert_allclose(get_link("probit").link(np.array([0.975])), [1.959963984540054])
    np.testing.assert_allclose(get_link("1/mu^2").link(np.array([2.0])), [0.25])


@pytest.mark.parametrize("name", ["logit", "probit", "cloglog", "log"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturating_links_stay_finite_at_1e4(xp, name, dtype):
    link = get_link(name)
    eta = xp.asarray([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=getattr(xp, dtype))
    outs = [link.inverse(eta), link.inverse_derivative(eta), link.inverse_second_derivative(eta),
            link.log_inverse(eta)]
    for out in outs:
        assert out.dtype == eta.dtype and bool(xp.all(xp.isfinite(out)))
    if link.domain == "unit":
        mu = link.inverse(eta)
        assert bool(xp.all((mu >= 0) & (mu <= 1)))
        assert bool(xp.all(xp.isfinite(link.log1m_inverse(eta))))
        assert bool(xp.all(link.inverse_derivative(eta) > 0))  # IRLS weights stay positive


def test_logit_tails_are_exact():
    logit = get_link("logit")
    np.testing.assert_allclose(logit.log_inverse(np.array([-1e4, -800.0])), [-1e4, -800.0])
    np.testing.assert_allclose(logit.log1m_inverse(np.array([1e4, 800.0])), [-1e4, -800.0])


def test_multinomial_logit(xp, rng):
    link = get_link("multinomial_logit")
    eta = rng.normal(size=(3, 4))
    mu = npy(link.inverse(asx(xp, eta)))
    np.testing.assert_allclose(mu, sc.softmax(eta, axis=1), rtol=1e-14)
    # identified up to a constant per row: link returns the sum-to-zero representative
    np.testing.assert_allclose(npy(link.link(asx(xp, mu))), eta - eta.mean(1, keepdims=True),
                               atol=1e-12)
    h = 1e-6
    jac, hess = npy(link.inverse_derivative(asx(xp, eta))), npy(
        link.inverse_second_derivative(asx(xp, eta)))
    dlink = npy(link.derivative(asx(xp, mu)))
    assert jac.shape == (3, 4, 4) and hess.shape == (3, 4, 4, 4)
    for j in range(4):
        e = np.zeros(4)
        e[j] = h
        fd_mu = (sc.softmax(eta + e, axis=1) - sc.softmax(eta - e, axis=1)) / (2 * h)
        np.testing.assert_allclose(jac[:, :, j], fd_mu, atol=1e-9)
        fd_jac = (npy(link.inverse_derivative(asx(xp, eta + e)))
                  - npy(link.inverse_derivative(asx(xp, eta - e)))) / (2 * h)
        np.testing.assert_allclose(hess[:, :, :, j], fd_jac, atol=1e-8)
        fd_link = (npy(link.link(asx(xp, mu + e))) - npy(link.link(asx(xp, mu - e)))) / (2 * h)
        np.testing.assert_allclose(dlink[:, :, j], fd_link, rtol=1e-6, atol=1e-6)
    # (d eta/d mu)(d mu/d eta) is the centring projection I - 11^T/K (eta's constant is free)
    proj = np.einsum("nkj,nji->nki", dlink, jac)
    np.testing.assert_allclose(proj, np.broadcast_to(np.eye(4) - 0.25, (3, 4, 4)), atol=1e-12)


def test_get_link_errors_and_aliases():
    assert get_link("1/mu").name == "inverse" and get_link("softmax").name == "multinomial_logit"
    assert get_link({"name": "probit"}) == get_link("probit")
    with pytest.raises(ValueError, match="unknown link 'cauchit'"):
        get_link("cauchit")
