"""The NumPy output-gradient kernels equal the family's own ``gradient_hessian(y, eta)[0]``."""

import numpy as np
import pytest

from reglab.core.families import FAMILIES, get_family
from reglab.nn import Trainer, build_network, get_head
from reglab.nn._fastgrad import numpy_gradient


def _data(name: str, n: int, rng: np.random.Generator):
    k = 4 if name == "categorical" else 1
    eta = rng.normal(size=(n, k))
    if name == "categorical":
        return eta, rng.integers(0, k, n)
    if name in ("binomial", "bernoulli"):
        return eta, rng.integers(0, 2, n).astype(float)
    if name == "poisson":
        return eta, rng.poisson(2.0, n).astype(float)
    return eta, rng.normal(size=n) + 1.5  # positive, valid for every continuous family


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_kernel_equals_family_gradient_for_every_registered_family(name):
    """Every registered family: either no kernel (general route) or exactly the family's g."""
    rng = np.random.default_rng(0)
    fam = get_family(name)
    kernel = numpy_gradient(fam)
    if name in ("gaussian", "binomial", "bernoulli", "poisson", "categorical"):
        assert kernel is not None
    if kernel is None:
        return
    eta, y = _data(name, 50, rng)
    e = eta[:, 0] if eta.shape[1] == 1 else eta
    ref = np.asarray(fam.gradient_hessian(y, e)[0]).reshape(eta.shape) * 0.25
    out = kernel(y, eta, np.empty_like(eta), 0.25)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-15)
    if name == "categorical":  # one-hot rows give the same as integer labels
        onehot = np.eye(4)[y]
        np.testing.assert_allclose(kernel(onehot, eta, np.empty_like(eta), 0.25), ref,
                                   rtol=1e-12, atol=1e-15)


def test_no_kernel_for_non_canonical_links_robust_losses_and_subclasses():
    assert numpy_gradient(get_family("poisson", link="sqrt")) is None
    assert numpy_gradient(get_family("binomial", link="probit")) is None
    assert numpy_gradient(get_head("huber")) is None

    class MyGaussian(FAMILIES["gaussian"]):
        pass

    assert numpy_gradient(MyGaussian()) is None


@pytest.mark.parametrize("loss", ["gaussian", "binomial", "poisson", "categorical"])
def test_trainer_fast_path_gives_the_family_route_gradients(loss):
    """Same batch, same network: gradients with the kernel equal those through the family."""
    rng = np.random.default_rng(1)
    k = 3 if loss == "categorical" else 1
    X = rng.normal(size=(32, 5))
    _, y = _data(loss, 32, rng)
    if loss == "categorical":
        y = rng.integers(0, k, 32)
    grads = []
    for fast in (True, False):
        net = build_network(5, (7,), n_out=k, activation="tanh", dtype="float64", random_state=0)
        tr = Trainer(net, loss=loss, alpha=0.1)
        assert tr._fast is not None
        if not fast:
            tr._fast = None
        tr.loss_and_gradient(X, y)
        grads.append(net.get_flat_grad())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-14)


def test_trainer_drops_a_kernel_that_disagrees_with_the_family():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=16)
    net = build_network(3, (4,), random_state=0, dtype="float64")
    tr = Trainer(net, loss="gaussian")
    tr._fast = lambda y, eta, out, scale: out * 0.0 + 1.0  # a wrong kernel
    tr.loss_and_gradient(X, y)
    assert tr._fast is None  # rejected on its first batch, whose gradient is the family's
    first = net.get_flat_grad()
    ref = Trainer(build_network(3, (4,), random_state=0, dtype="float64"), loss="gaussian")
    ref._fast = None
    ref.loss_and_gradient(X, y)
    np.testing.assert_allclose(first, ref.network.get_flat_grad(), rtol=1e-12)


def test_fast_path_still_rejects_bad_labels_naming_the_value():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 3, 20)
    y[7] = -1  # an index the kernel alone would silently wrap around
    tr = Trainer(build_network(3, (4,), n_out=3, random_state=0), loss="categorical",
                 batch_size=5)
    with pytest.raises(ValueError, match=r"y\[7\] = -1"):
        tr.train_batches(X, y)


def test_dense_gemm_paths_agree_for_matching_and_mixed_dtypes():
    """np.dot (same dtypes) and the matmul fallback (float64 data, float32 layer) agree."""
    from reglab.nn.layers import _gemm

    rng = np.random.default_rng(4)
    a32, b32 = rng.normal(size=(6, 5)).astype(np.float32), rng.normal(size=(5, 1)).astype(
        np.float32)
    out = np.empty((6, 1), np.float32)
    np.testing.assert_allclose(_gemm(a32, b32, out), a32 @ b32, rtol=1e-6)
    np.testing.assert_allclose(_gemm(a32.astype(np.float64), b32, np.empty((6, 1), np.float32)),
                               a32 @ b32, rtol=1e-6)
    g = rng.normal(size=(6, 1)).astype(np.float32)  # the one-output outer product g @ W.T
    np.testing.assert_allclose(_gemm(g, b32.T, np.empty((6, 5), np.float32)), g * b32.T,
                               rtol=1e-6)
