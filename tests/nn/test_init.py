"""Initialisers: the sample variance matches the formula within sampling error."""

import numpy as np
import pytest

from reglab.core.init import get_initializer, initialize


@pytest.mark.parametrize(("name", "var"), [("glorot", 2 / (300 + 200)), ("he", 2 / 300),
                                           ("lecun", 1 / 300), ("torch", 1 / (3 * 300))])
@pytest.mark.parametrize("dist", ["uniform", "normal"])
def test_variance(name, var, dist):
    w = initialize(name, 300, 200, np.random.default_rng(0), distribution=dist)
    assert w.shape == (300, 200)
    # 60,000 draws: the sample variance is within ~1% (SE = var*sqrt(2/n) for the normal)
    assert abs(w.var() / var - 1) < 0.03
    assert abs(w.mean()) < 0.05 * np.sqrt(var)


def test_reproducible_and_dtype():
    a = initialize("he", 4, 3, np.random.default_rng(5), dtype=np.float32)
    b = initialize("he", 4, 3, np.random.default_rng(5), dtype=np.float32)
    assert a.dtype == np.float32 and np.array_equal(a, b)


def test_unknown_names():
    with pytest.raises(ValueError, match="'orthogonal'"):
        get_initializer("orthogonal")
    with pytest.raises(ValueError, match="distribution"):
        initialize("he", 2, 2, np.random.default_rng(0), distribution="cauchy")


def test_torch_bound_and_torch_reference():
    """``torch`` is U(+-1/sqrt(fan_in)); its variance matches PyTorch's own nn.Linear draw."""
    torch = pytest.importorskip("torch")
    w = initialize("torch", 300, 200, np.random.default_rng(1))
    bound = 1 / np.sqrt(300)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    torch.manual_seed(0)
    ref = torch.nn.Linear(300, 200).weight.detach().double().numpy()
    assert abs(ref.var() / w.var() - 1) < 0.03
    assert abs(np.abs(ref).max() / np.abs(w).max() - 1) < 1e-3
