"""Shared fixtures: the array namespaces every core function is tested on."""

from __future__ import annotations

import array_api_strict
import numpy as np
import pytest

NAMESPACES = {"numpy": np, "array_api_strict": array_api_strict}


@pytest.fixture(params=sorted(NAMESPACES))
def xp(request):
    """The array namespace under test: NumPy and the strict reference implementation."""
    return NAMESPACES[request.param]


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
