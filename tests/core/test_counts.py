"""Sums over the distinct values of y (``reglab.core._counts``) against row-by-row sums."""

import numpy as np
from scipy.special import gammaln, xlogy

from reglab.core._counts import sum_by_value, value_table


def test_value_table_for_counts_matches_np_unique_with_weights():
    rng = np.random.default_rng(0)
    y = rng.poisson(3.0, 5000).astype(float)
    w = rng.uniform(0.0, 2.0, 5000)
    for weights in (None, w):
        u, tot = value_table(y, weights)
        ref_u, inv = np.unique(y, return_inverse=True)
        np.testing.assert_array_equal(u, ref_u)
        np.testing.assert_allclose(tot, np.bincount(inv, weights=weights), rtol=1e-13)


def test_value_table_falls_back_to_sorting_or_none_for_non_counts():
    y = np.array([0.5, 2.0, 0.5, -1.0])
    u, tot = value_table(y)
    np.testing.assert_array_equal(u, [-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(tot, [1.0, 2.0, 1.0])
    assert value_table(y, sort_fallback=False) is None
    # integers too large for a bincount of n bins are not tabled by bincount either
    assert value_table(np.array([0.0, 1e9]), sort_fallback=False) is None


def test_sum_by_value_equals_the_row_by_row_sum():
    rng = np.random.default_rng(1)
    y = rng.negative_binomial(2.0, 0.4, 20_000).astype(float)
    w = rng.uniform(0.5, 1.5, 20_000)

    def f(u):
        return xlogy(u, u) - gammaln(u + 1.0)

    for weights in (None, w):
        ref = float(f(y).sum() if weights is None else f(y) @ weights)
        np.testing.assert_allclose(sum_by_value(f, y, weights), ref, rtol=1e-12)
    cont = rng.uniform(0.1, 3.0, 100)  # not counts: summed row by row
    np.testing.assert_allclose(sum_by_value(np.log, cont), np.log(cont).sum(), rtol=1e-14)

