"""Softmax family: reference values, Jacobian vs finite differences, stability, invariants."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from reglab.core.softmax import (
    cross_entropy,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

from ._helpers import asx, npy


def test_matches_scipy_on_random_matrices_any_axis(xp, rng):
    x = rng.normal(scale=5, size=(4, 5, 3))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(npy(softmax(asx(xp, x), axis=axis)), sc.softmax(x, axis=axis),
                                   rtol=1e-13)
        np.testing.assert_allclose(npy(log_softmax(asx(xp, x), axis=axis)),
                                   sc.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(npy(logsumexp(asx(xp, x), axis=axis)),
                                   sc.logsumexp(x, axis=axis), rtol=1e-13)
    kd = logsumexp(asx(xp, x), axis=1, keepdims=True)
    assert kd.shape == (4, 1, 3)


def test_temperature_and_base(xp):
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(npy(softmax(asx(xp, x), temperature=2.0)), sc.softmax(x / 2),
                               rtol=1e-14)
    # base b: b**x / sum b**x, computed directly for this small x
    for b in (2.0, 10.0, 0.5):
        direct = b**x / np.sum(b**x)
        np.testing.assert_allclose(npy(softmax(asx(xp, x), base=b)), direct, rtol=1e-14)
    # b < 1 favours the smallest input (lecture 3)
    assert int(np.argmax(npy(softmax(asx(xp, x), base=0.5)))) == 0
    np.testing.assert_allclose(npy(softmax(asx(xp, x), base=1.0)), np.full(3, 1 / 3))
    np.testing.assert_allclose(npy(log_softmax(asx(xp, x), base=3.0, temperature=0.5)),
                               np.log(sc.softmax(x * np.log(3.0) / 0.5)), rtol=1e-13)
    # T -> 0 tends to one-hot argmax; large T to uniform
    np.testing.assert_allclose(npy(softmax(asx(xp, x), temperature=1e-3)), [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(npy(softmax(asx(xp, x), temperature=1e6)), np.full(3, 1 / 3),
                               atol=1e-5)


@pytest.mark.parametrize(("kw", "match"), [
    ({"temperature": 0.0}, "temperature must be .* got 0.0"),
    ({"temperature": -1.0}, "temperature"),
    ({"base": -2.0}, "base must be .* got -2.0"),
    ({"base": 0.0}, "base"),
])
def test_bad_temperature_or_base_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        softmax(np.ones(3), **kw)


def test_jacobian_and_vjp_match_finite_differences(xp, rng):
    x = rng.normal(size=(2, 4))
    s = softmax(asx(xp, x))
    jac = npy(softmax_jacobian(s))
    assert jac.shape == (2, 4, 4)
    h = 1e-6
    for n in range(2):
        fd = np.empty((4, 4))
        for j in range(4):
            e = np.zeros(4)
            e[j] = h
            fd[:, j] = (sc.softmax(x[n] + e) - sc.softmax(x[n] - e)) / (2 * h)
        np.testing.assert_allclose(jac[n], fd, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jac, np.swapaxes(jac, 1, 2))  # symmetric
    np.testing.assert_allclose(jac.sum(axis=-1), 0.0, atol=1e-15)  # rows sum to 0
    g = rng.normal(size=(2, 4))
    np.testing.assert_allclose(npy(softmax_vjp(s, asx(xp, g))), np.einsum("nk,nkj->nj", g, jac),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_for_magnitudes_up_to_1e4(xp, dtype):
    x = xp.asarray([[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]],
                   dtype=getattr(xp, dtype))
    for f in (softmax, log_softmax, logsumexp):
        out = f(x)
        assert out.dtype == x.dtype
        assert bool(xp.all(xp.isfinite(out)))
    s = npy(softmax(x))
    np.testing.assert_allclose(s, [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(npy(log_softmax(x))[0], [0.0, -2e4, -1e4], rtol=1e-6)
    np.testing.assert_allclose(npy(logsumexp(x))[1], 1e4 + np.log(2), rtol=1e-6)


def test_logsumexp_of_all_minus_inf_is_minus_inf():
    out = logsumexp(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]))
    assert out[0] == -np.inf and out[1] == 0.0


def test_cross_entropy_natural_and_other_bases(xp):
    y = asx(xp, [[1, 0, 0], [0, 0, 1]])
    p = asx(xp, [[0.7, 0.0, 0.3], [0.1, 0.2, 0.7]])  # p = 0 with y = 0 must contribute 0
    np.testing.assert_allclose(npy(cross_entropy(y, p)), -np.log([0.7, 0.7]), rtol=1e-15)
    np.testing.assert_allclose(npy(cross_entropy(y, p, base=2)), -np.log2([0.7, 0.7]), rtol=1e-15)
    with pytest.raises(ValueError, match="base must be .* got 1"):
        cross_entropy(y, p, base=1)


finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=finite), st.floats(-1e3, 1e3))
def test_softmax_invariants(x, shift):
    s = softmax(x)
    assert np.all((s >= 0) & (s <= 1))
    assert abs(s.sum() - 1.0) < 1e-12
    # shift invariance (shift kept moderate so x + shift is still exact enough in float64)
    np.testing.assert_allclose(softmax(x + shift), s, rtol=1e-9, atol=1e-12)
    # order preserved: a larger input never gets a smaller probability
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(s[order]) >= 0)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, st.integers(1, 6),
              elements=st.floats(-1e4, 1e4, allow_nan=False, width=32)))
def test_softmax_float32_stays_float32_and_normalised(x):
    s = softmax(x)
    assert s.dtype == np.float32
    assert np.all(np.isfinite(s)) and abs(float(s.sum()) - 1.0) < 1e-5
