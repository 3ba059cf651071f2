"""Activations: forward values vs independent references, vjp vs finite differences, stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special as sc

from reglab.core.activations import ACTIVATIONS, SELU_ALPHA, SELU_SCALE, get_activation, sigmoid

from ._helpers import asx, central_diff, npy

KINKED = {"step", "relu", "leaky_relu", "elu", "selu"}  # not differentiable at 0

# Independent NumPy/SciPy formulas (not reglab code) for every registered activation.
REFERENCE = {
    "identity": lambda x: x,
    "step": lambda x: (x >= 0).astype(float),
    "sigmoid": sc.expit,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.01 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: x * sc.ndtr(x),
    "gelu_tanh": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "softplus": lambda x: np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0),
    "silu": lambda x: x * sc.expit(x),
}


def test_registry_is_the_contract():
    assert set(ACTIVATIONS) == set(REFERENCE)
    for name, cls in ACTIVATIONS.items():
        assert cls.name == name
        assert cls.init in {"glorot", "he", "lecun"}
    assert ACTIVATIONS["selu"].init == "lecun"
    assert ACTIVATIONS["relu"].init == "he"
    assert ACTIVATIONS["tanh"].init == "glorot"


@pytest.fixture
def grid():
    x = np.linspace(-6.0, 6.0, 97)
    return x[np.abs(x) > 1e-3]  # keep finite differences off the kinks at 0


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_matches_reference(xp, name, grid):
    act = get_activation(name)
    got = npy(act(asx(xp, grid)))
    np.testing.assert_allclose(got, REFERENCE[name](grid), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_vjp_matches_finite_differences(xp, name, grid, rng):
    act = get_activation(name)
    x = asx(xp, grid)
    g = rng.normal(size=grid.shape)
    y = act(x)
    got = npy(act.vjp(x, y, asx(xp, g)))
    fd = central_diff(lambda t: npy(act(asx(xp, t))), grid)
    # central differences with h=1e-6 are accurate to ~1e-9 for these smooth pieces
    np.testing.assert_allclose(got, g * fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(npy(act.derivative(x)), fd, rtol=1e-6, atol=1e-8)


def test_derivatives_at_zero_follow_the_documented_convention():
    z = np.zeros(1)
    assert get_activation("relu").derivative(z)[0] == 0.0
    assert get_activation("leaky_relu", alpha=0.1).derivative(z)[0] == pytest.approx(0.1)
    assert get_activation("step")(z)[0] == 1.0
    assert get_activation("sigmoid").derivative(z)[0] == 0.25
    assert get_activation("tanh").derivative(z)[0] == 1.0  # four times the sigmoid's (lecture)
    assert get_activation("gelu").derivative(z)[0] == 0.5


def test_published_values_and_parameters():
    # closed forms: GELU(1) = Phi(1); SELU(+-1) from its constants; SiLU(1) = sigmoid(1)
    x = np.array([-1.0, 1.0])
    np.testing.assert_allclose(get_activation("gelu")(x), [-0.15865525393145707,
                                                           0.8413447460685429], rtol=1e-14)
    np.testing.assert_allclose(get_activation("selu")(x), [-1.1113307378125628,
                                                           1.0507009873554805], rtol=1e-14)
    np.testing.assert_allclose(get_activation("silu")(x), [-0.2689414213699951,
                                                           0.7310585786300049], rtol=1e-14)
    np.testing.assert_allclose(get_activation("gelu_tanh")(x), [-0.15880800939172324,
                                                                0.8411919906082768], rtol=1e-14)
    np.testing.assert_allclose(get_activation("softplus")(np.zeros(1)), [np.log(2)], rtol=1e-15)
    np.testing.assert_allclose(get_activation("elu", alpha=0.5)(x), [0.5 * np.expm1(-1), 1.0])
    np.testing.assert_allclose(get_activation("leaky_relu", alpha=0.2)(x), [-0.2, 1.0])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_for_huge_inputs(xp, name, dtype):
    act = get_activation(name)
    x = xp.asarray([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4], dtype=getattr(xp, dtype))
    y = act(x)
    d = act.vjp(x, y, xp.ones_like(x))
    for out in (y, d, act.derivative(x)):
        assert out.dtype == x.dtype
        assert bool(xp.all(xp.isfinite(out)))


def test_sigmoid_saturates_exactly_without_overflow():
    x = np.array([-1e4, -700.0, 0.0, 40.0, 1e4])
    s = sigmoid(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(s, sc.expit(x), rtol=1e-15)


def test_integer_and_list_inputs_become_float():
    assert get_activation("relu")([1, -2]).dtype == np.float64
    np.testing.assert_array_equal(get_activation("relu")(np.array([1, -2])), [1.0, 0.0])


def test_get_activation_names_aliases_params_and_round_trip():
    assert get_activation("logistic") == get_activation("sigmoid")
    assert get_activation("swish").name == "silu"
    assert get_activation("Leaky-ReLU", alpha=0.2).alpha == 0.2
    elu = get_activation("elu", alpha=0.3)
    assert get_activation(elu.to_dict()) == elu and get_activation(elu) is elu
    assert get_activation("selu").to_dict() == {"name": "selu"}
    assert repr(elu) == "ELU(alpha=0.3)"


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("mish",), {}, "unknown activation 'mish'"),
        (("leaky_relu",), {"alpha": -1}, "alpha must be .* got -1"),
        (("elu",), {"alpha": float("nan")}, "alpha must be"),
        (("relu",), {"alpha": 0.1}, "bad parameters .* 'relu'"),
    ],
)
def test_bad_activation_requests_raise_value_error(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_activation(*args, **kwargs)
