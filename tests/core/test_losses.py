"""Non-likelihood losses: values, gradients vs finite differences, weights, registry."""

from __future__ import annotations

import numpy as np
import pytest

from reglab.core.families import get_family
from reglab.core.losses import LOSSES, get_loss

from ._helpers import asx, npy


def test_registry_is_the_contract():
    assert set(LOSSES) == {"squared_error", "absolute_error", "huber"}
    assert get_loss("square_error").name == "squared_error"  # the lecture's name
    assert get_loss({"name": "huber", "delta": 2.0}).delta == 2.0


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_finite_differences_away_from_kinks(xp, name, rng):
    loss = get_loss(name)
    y = rng.normal(size=40)
    r = rng.uniform(-4, 4, 40)
    r = r[(np.abs(r) > 1e-3) & (np.abs(np.abs(r) - 1.35) > 1e-3)]  # skip 0 and the Huber knee
    eta = y[: len(r)] + r
    y = y[: len(r)]
    g, w = (npy(a) for a in loss.gradient_hessian(asx(xp, y), asx(xp, eta)))
    h = 1e-6
    pl = lambda e: npy(loss.pointwise_loss(asx(xp, y), asx(xp, e)))  # noqa: E731
    np.testing.assert_allclose(g, (pl(eta + h) - pl(eta - h)) / (2 * h), rtol=1e-6, atol=1e-8)
    if name != "absolute_error":  # its W = 1 is a surrogate, not a curvature
        gy = lambda e: npy(loss.gradient_hessian(asx(xp, y), asx(xp, e))[0])  # noqa: E731
        np.testing.assert_allclose(w, (gy(eta + h) - gy(eta - h)) / (2 * h), atol=1e-6)
    np.testing.assert_allclose(npy(loss.unit_deviance(asx(xp, y), asx(xp, eta))), 2 * pl(eta))
    np.testing.assert_allclose(npy(loss.unit_deviance(asx(xp, y), asx(xp, y))), 0.0)


def test_hand_computed_values():
    y, mu = np.array([0.0, 0.0, 0.0]), np.array([0.5, -3.0, 1.35])
    np.testing.assert_allclose(get_loss("squared_error").pointwise_loss(y, mu), [0.125, 4.5,
                                                                                0.91125])
    np.testing.assert_allclose(get_loss("absolute_error").pointwise_loss(y, mu), [0.5, 3, 1.35])
    # Huber(1.35): r^2/2 inside, 1.35 (|r| - 0.675) outside; continuous at |r| = delta
    np.testing.assert_allclose(get_loss("huber").pointwise_loss(y, mu),
                               [0.125, 1.35 * (3 - 0.675), 0.91125])
    g, w = get_loss("huber").gradient_hessian(y, mu)
    np.testing.assert_allclose(g, [0.5, -1.35, 1.35])
    np.testing.assert_allclose(w, [1.0, 0.0, 1.0])


def test_squared_error_equals_the_gaussian_family(rng):
    y, eta, sw = rng.normal(size=9), rng.normal(size=9), rng.uniform(0.1, 2, 9)
    se, gauss = get_loss("squared_error"), get_family("gaussian")
    assert float(se.loss(y, eta, sw)) == pytest.approx(float(gauss.loss(y, eta, sw)), rel=1e-14)
    for a, b in zip(se.gradient_hessian(y, eta, sw), gauss.gradient_hessian(y, eta, sw)):
        np.testing.assert_allclose(a, b, rtol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_and_dtype_preserving(xp, dtype):
    eta = xp.asarray([-1e4, 0.0, 1e4], dtype=getattr(xp, dtype))
    y = xp.asarray([1e4, 0.0, -1e4], dtype=getattr(xp, dtype))
    for name in LOSSES:
        loss = get_loss(name)
        for out in (loss.loss(y, eta), *loss.gradient_hessian(y, eta)):
            assert out.dtype == eta.dtype and bool(xp.all(xp.isfinite(out)))


def test_bad_input():
    with pytest.raises(ValueError, match=r"y\[1\] = inf"):
        get_loss("huber").check_y(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="delta must be .* got -1.0"):
        get_loss("huber", delta=-1)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        get_loss("hinge")
