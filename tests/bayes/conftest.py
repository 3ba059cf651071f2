"""Shared settings for the reglab.bayes tests.

Compiling a NUTS kernel costs seconds (tens on a loaded 2-core box) per model configuration and data
shape, so the tests (1) reuse a few shapes and sampler settings, which the in-process kernel cache
then compiles once, and (2) keep JAX's compiled kernels in .pytest_cache so a second run skips
compilation altogether.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("numpyro")
pytest.importorskip("jax")

from reglab.bayes import enable_compilation_cache

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
enable_compilation_cache(os.path.join(ROOT, ".pytest_cache", "reglab-jax"))

# one sampler setting for every test that samples (one chain: a single compiled kernel)
FAST = {"num_warmup": 250, "num_samples": 300, "num_chains": 1, "verbose": False}
N_EIV = 50  # every errors-in-variables test uses this many rows (one compiled shape)


def simulate_eiv(rng: np.random.Generator, n: int = N_EIV, alpha: float = 1.0, beta: float = 2.0,
                 scatter: float = 0.4, zero_errors: bool = False):
    """Kelly-style data: x_true ~ N(0, 1), y_true = alpha + beta x_true + N(0, scatter^2),
    observed with per-point Gaussian errors between 0.15 and 0.4 (x) and 0.2 and 0.5 (y)."""
    xi = rng.standard_normal(n)
    eta = alpha + beta * xi + scatter * rng.standard_normal(n)
    if zero_errors:
        return xi, eta, np.zeros(n), np.zeros(n)
    x_err = rng.uniform(0.15, 0.4, n)
    y_err = rng.uniform(0.2, 0.5, n)
    return xi + x_err * rng.standard_normal(n), eta + y_err * rng.standard_normal(n), x_err, y_err


@pytest.fixture(scope="session")
def eiv_fit():
    """One fitted model shared by the read-only tests (summary, predict, plots, save/load)."""
    from reglab.bayes import ErrorsInVariablesRegression

    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(7))
    return ErrorsInVariablesRegression(random_state=3, **FAST).fit(x, y, x_err=x_err, y_err=y_err)
