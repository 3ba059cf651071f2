"""Families: categorical, stability at |eta| = 1e4, starting values, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

from reglab.core.families import FAMILIES, get_family, one_hot

from ._helpers import asx, npy

# eta values inside each default link's domain (inverse-type links need eta > 0)
STABLE_ETA = {
    "inverse": [1e-4, 1e-2, 1.0, 1e2, 1e4],
    "inverse_squared": [1e-4, 1e-2, 1.0, 1e2, 1e4],
}
VALID_Y = {"gaussian": 1.5, "binomial": 1.0, "bernoulli": 1.0, "poisson": 3.0, "gamma": 2.0,
           "inverse_gaussian": 2.0, "negative_binomial": 3.0, "tweedie": 2.0}


@pytest.mark.parametrize("name", sorted(VALID_Y))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_and_gradient_finite_at_eta_1e4(xp, name, dtype):
    fam = get_family(name)
    eta = STABLE_ETA.get(fam.link.name, [-1e4, -50.0, 0.0, 50.0, 1e4])
    dt = getattr(xp, dtype)
    eta = xp.asarray(eta, dtype=dt)
    for yv in {VALID_Y[name], 0.0 if name not in ("gamma", "inverse_gaussian") else 0.5}:
        y = xp.full_like(eta, yv)
        outs = [fam.loss(y, eta), fam.pointwise_loss(y, eta), *fam.gradient_hessian(y, eta)]
        for out in outs:
            assert out.dtype == dt
            assert bool(xp.all(xp.isfinite(out))), (name, yv, out)


def test_bernoulli_loss_is_exact_in_the_tails():
    fam = get_family("bernoulli")
    eta = np.array([-1e4, 1e4, -40.0])
    y = np.array([1.0, 0.0, 1.0])
    # -log sigmoid(-1e4) = 1e4 exactly; softplus(40) = 40 + log1p(exp(-40))
    np.testing.assert_allclose(fam.pointwise_loss(y, eta), [1e4, 1e4, 40 + np.exp(-40.0)],
                               rtol=1e-15)
    g, w = fam.gradient_hessian(y, eta)
    np.testing.assert_allclose(g, [-1.0, 1.0, sc.expit(-40.0) - 1], rtol=1e-15)
    # perfect separation: mu is clamped into [eps, 1 - eps] (as R's logit linkinv), so the
    # deviance an IRLS loop computes from mu stays finite: -2 log(eps) = 72.1 per sample
    mu = fam.mean(eta)
    assert np.all((mu > 0) & (mu < 1))
    d = fam.unit_deviance(y[:2], mu[:2])
    np.testing.assert_allclose(d, -2 * np.log(np.finfo(float).eps), rtol=1e-12)


def test_categorical_gradient_hessian_and_labels(xp, rng):
    fam = get_family("categorical")
    eta = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1, 1, 0], dtype=float)
    yoh = np.eye(3)[labels.astype(int)]
    g, w = (npy(a) for a in fam.gradient_hessian(asx(xp, yoh), asx(xp, eta)))
    p = sc.softmax(eta, axis=1)
    np.testing.assert_allclose(g, p - yoh, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w, p * (1 - p), rtol=1e-12)
    h = 1e-6
    for k in range(3):
        e = np.zeros(3)
        e[k] = h
        pl = lambda t: npy(fam.pointwise_loss(asx(xp, yoh), asx(xp, t)))  # noqa: E731
        np.testing.assert_allclose((pl(eta + e) - pl(eta - e)) / (2 * h), g[:, k], atol=1e-8)
        gk = lambda t: npy(fam.gradient_hessian(asx(xp, yoh), asx(xp, t))[0])  # noqa: E731
        np.testing.assert_allclose((gk(eta + e) - gk(eta - e))[:, k] / (2 * h), w[:, k],
                                   atol=1e-8)
    # integer labels give the same as one-hot; the loss is the mean cross-entropy
    g2, _ = fam.gradient_hessian(asx(xp, labels), asx(xp, eta))
    np.testing.assert_allclose(npy(g2), g)
    ce = -np.log(p[np.arange(5), labels.astype(int)])
    np.testing.assert_allclose(float(fam.loss(asx(xp, labels), asx(xp, eta))), ce.mean(),
                               rtol=1e-12)
    mu = asx(xp, p)
    np.testing.assert_allclose(float(fam.loglik(asx(xp, yoh), mu)), -ce.sum(), rtol=1e-12)
    assert float(fam.loglik(asx(xp, yoh), mu)) == pytest.approx(
        st.multinomial.logpmf(yoh, 1, p).sum(), rel=1e-12)
    np.testing.assert_allclose(npy(fam.unit_deviance(asx(xp, yoh), mu)), 2 * ce, rtol=1e-12)
    sw = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    gw, ww = fam.gradient_hessian(asx(xp, yoh), asx(xp, eta), asx(xp, sw))
    np.testing.assert_allclose(npy(gw), g * sw[:, None])
    assert float(fam.unit_deviance(asx(xp, yoh[:1]), asx(xp, yoh[:1]))[0]) == 0.0
    # hand-computed: d([0,1,0], [0.2,0.5,0.3]) = 2 log 2
    assert float(fam.unit_deviance(np.array([[0.0, 1, 0]]), np.array([[0.2, 0.5, 0.3]]))[0]) \
        == pytest.approx(2 * np.log(2), rel=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_categorical_stable_at_1e4(xp, dtype):
    fam = get_family("categorical")
    eta = xp.asarray([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=getattr(xp, dtype))
    y = xp.asarray([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=getattr(xp, dtype))
    for out in (fam.loss(y, eta), *fam.gradient_hessian(y, eta)):
        assert out.dtype == eta.dtype and bool(xp.all(xp.isfinite(out)))
    assert float(fam.pointwise_loss(y, eta)[0]) == pytest.approx(2e4, rel=1e-6)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_starting_mu_is_inside_the_link_domain(name, rng):
    fam = get_family(name)
    if name == "categorical":
        mu = fam.starting_mu(np.array([0.0, 2.0, 1.0]))
        assert mu.shape == (3, 3) and np.allclose(mu.sum(1), 1) and np.all(mu > 0)
        return
    y = {"gaussian": np.array([-1.0, 0.0, 2.0]), "binomial": np.array([0.0, 0.5, 1.0]),
         "bernoulli": np.array([0.0, 1.0, 1.0]), "gamma": np.array([0.1, 1.0, 5.0]),
         "inverse_gaussian": np.array([0.1, 1.0, 5.0])}.get(name, np.array([0.0, 1.0, 7.0]))
    eta = fam.link.link(fam.starting_mu(y))
    assert np.all(np.isfinite(eta))
    np.testing.assert_allclose(get_family("binomial").starting_mu(np.array([0.0, 1.0]),
                                                                  np.array([3.0, 3.0])),
                               [0.125, 0.875])  # R: (m y + 0.5) / (m + 1)


@pytest.mark.parametrize(("name", "params", "y", "match"), [
    ("poisson", {}, [1.0, 0.0, -1.0], r"poisson family: y\[2\] = -1.0 is invalid; expected a co"),
    ("bernoulli", {}, [0.0, 1.0, 1.0, 2.0], r"y\[3\] = 2.0 is invalid; expected a label 0 or 1"),
    ("bernoulli", {}, [0.5, 1.0], r"y\[0\] = 0.5"),
    ("binomial", {}, [0.5, 1.2], r"binomial family: y\[1\] = 1.2 .* proportion in \[0, 1\]"),
    ("gamma", {}, [1.0, 0.0], r"gamma family: y\[1\] = 0.0 is invalid; expected a number > 0"),
    ("inverse_gaussian", {}, [-2.0], r"y\[0\] = -2.0"),
    ("negative_binomial", {}, [3.0, -0.5], r"y\[1\] = -0.5"),
    ("tweedie", {"power": 1.5}, [0.0, -1.0], r"tweedie family: y\[1\] = -1.0 .* >= 0"),
    ("tweedie", {"power": 2.5}, [0.0], r"y\[0\] = 0.0 .* > 0"),
    ("gaussian", {}, [1.0, np.nan], r"gaussian family: y\[1\] = nan .* finite"),
    ("categorical", {}, [0.0, 1.5], r"categorical family: y\[1\] = 1.5 .* integer class label"),
    ("categorical", {}, [[1.0, 0.0], [0.5, 0.4]], r"row sum\[1\] = 0.9"),
])
def test_bad_y_raises_value_error_naming_index_and_value(xp, name, params, y, match):
    with pytest.raises(ValueError, match=match):
        get_family(name, **params).check_y(asx(xp, y))


def test_valid_y_passes_and_bad_weights_raise():
    fam = get_family("poisson")
    np.testing.assert_array_equal(fam.check_y([0, 2, 5]), [0.0, 2.0, 5.0])
    with pytest.raises(ValueError, match=r"sample_weight\[1\] = -1.0 is invalid"):
        fam.loss(np.ones(2), np.zeros(2), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"sample_weight has shape \(3,\), expected \(2,\)"):
        fam.gradient_hessian(np.ones(2), np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match="sums to 0"):
        fam.loss(np.ones(2), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="scale must be"):
        fam.loglik(np.ones(2), np.ones(2), scale=0.0)
    with pytest.raises(ValueError, match=r"class label in 0..2 .* labels\[0\] = 3.0|y\[0\] = 3.0"):
        one_hot(np.array([3.0]), 3)


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    (("poisson",), {"link": "logit"}, "link 'logit' is not available for the poisson family"),
    (("negative_binomial",), {"alpha": 0.0}, "alpha must be .* got 0.0"),
    (("tweedie",), {"power": 0.5}, "power must be <= 0 or >= 1"),
    (("student_t",), {}, "unknown family 'student_t'"),
    (("gamma",), {"alpha": 1.0}, "bad parameters .* 'gamma'"),
])
def test_bad_family_requests(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_family(*args, **kwargs)


def test_aliases_and_round_trips():
    assert get_family("multinomial").name == "categorical"
    assert get_family("normal").name == "gaussian"
    nb = get_family("negative_binomial", link="sqrt", alpha=0.3)
    assert get_family(nb.to_dict()) == nb and nb.to_dict()["alpha"] == 0.3
    assert get_family("tweedie", power=0).link.name == "identity"
    assert repr(get_family("binomial", link="probit")) == "Binomial(link='probit')"


def _extreme_eta(name, link):
    """eta at the edges of what (family, link) can represent, inside the link's domain."""
    if link == "log" and name in ("binomial", "bernoulli"):
        return [-1e4, -50.0, -1.0, -1e-4]  # mu = exp(eta) must stay below 1
    if link in ("logit", "probit", "cloglog", "log"):
        return [-1e4, -50.0, 0.0, 50.0, 1e4]
    if link == "identity" and name == "gaussian":
        return [-1e4, 0.0, 1e4]
    return [1e-4, 1.0, 1e4]  # identity / inverse / inverse_squared / sqrt with positive means


@pytest.mark.parametrize(("name", "link"), [(f, lk) for f in sorted(VALID_Y)
                                            for lk in FAMILIES[f].allowed_links])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_family_link_is_finite_at_its_extremes(name, link, dtype):
    fam = get_family(name, link=link)
    eta = np.array(_extreme_eta(name, link), dtype=dtype)
    for yv in {VALID_Y[name], 0.0 if name not in ("gamma", "inverse_gaussian") else 0.5}:
        y = np.full_like(eta, yv)
        for out in (fam.loss(y, eta), fam.pointwise_loss(y, eta), *fam.gradient_hessian(y, eta)):
            assert out.dtype == dtype and np.all(np.isfinite(out)), (yv, out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_loss_of_labels_is_that_of_their_one_hot_rows_exactly(dtype, rng):
    """Integer labels take the one term -log mu_y instead of the one-hot sum: the same numbers
    (bitwise), also where other classes' log mu is -1e4; bad labels are named as before."""
    fam = get_family("categorical")
    eta = (rng.normal(size=(200, 7)) * 4).astype(dtype)
    eta[0] = [1e4, -1e4, 0, 0, 0, 0, 0]
    labels = rng.integers(0, 7, 200)
    labels[0] = 2
    onehot = np.eye(7, dtype=dtype)[labels]
    for y in (labels, labels.astype(dtype)):
        a, b = fam.pointwise_loss(y, eta), fam.pointwise_loss(onehot, eta)
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert float(a[0]) == pytest.approx(1e4, rel=1e-6)
    with pytest.raises(ValueError, match=r"categorical family: y\[3\] = 7 is invalid; expected "
                                         r"a class label in 0\.\.6"):
        fam.loss(np.r_[labels[:3], 7, labels[4:]], eta)
