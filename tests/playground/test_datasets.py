"""Data sets and features: shapes, codings, reproducibility, and each generator's geometry."""

from __future__ import annotations

import numpy as np
import pytest

from reglab.playground.datasets import (
    DATASETS,
    FEATURES,
    make_dataset,
    make_features,
    split_train_test,
)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_shapes_codes_and_seed(name):
    spec = DATASETS[name]
    X, y = make_dataset(name, 301, 0.2, seed=3)
    assert X.shape == (301, 2) and y.shape == (301,)
    assert np.all(np.isfinite(X)) and np.all(np.abs(X) < 12)
    if spec.problem == "regression":
        assert y.dtype == np.float64 and np.all(np.abs(y) <= 1)
    else:
        assert set(np.unique(y)) == set(range(spec.n_classes))
    X2, y2 = make_dataset(name, 301, 0.2, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_dataset(name, 301, 0.2, seed=4)
    assert not np.array_equal(X, X3)


def test_noise_free_labels_follow_the_rule_that_defines_each_set():
    X, y = make_dataset("circle", 400, 0.0, 0)
    np.testing.assert_array_equal(y, (np.hypot(X[:, 0], X[:, 1]) < 2.5).astype(int))
    X, y = make_dataset("xor", 400, 0.0, 0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))
    assert np.min(np.abs(X)) >= 0.3  # the gap around the axes
    X, y = make_dataset("plane", 400, 0.0, 0)
    np.testing.assert_allclose(y, np.clip((X[:, 0] + X[:, 1]) / 10, -1, 1), atol=1e-12)
    X, y = make_dataset("spiral", 400, 0.0, 0)
    # Noise-free spiral: radius grows linearly along each arm, up to 5.
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.max() < 5 and np.all(np.diff(r[y == 1]) > 0)


def test_gauss_spread_matches_tensorflow_playground_variance():
    # variance 0.5 + 7 * noise (TensorFlow Playground maps noise [0, .5] onto variance [.5, 4])
    X, y = make_dataset("gauss", 20000, 0.5, 1)
    sd = X[y == 1].std(axis=0)
    np.testing.assert_allclose(sd, np.sqrt(4.0), rtol=0.03)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.05)


def test_multigauss_peak_values():
    # At a cone's centre the target is its sign; far from all cones it is 0.
    X, y = make_dataset("multigauss", 20000, 0.0, 2)
    d = np.hypot(X[:, 0] - 0, X[:, 1] - 2.5)
    near = d < 0.2
    # Inside the cone at (0, 2.5) with sign -1: y = -(1 - d / 2).
    assert near.any()
    np.testing.assert_allclose(y[near], -(1 - d[near] / 2), atol=1e-12)
    far = (np.abs(X[:, 1]) < 0.2) & (np.abs(X[:, 0]) > 5.5)
    assert far.any() and np.all(y[far] == 0)


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="'moons'"):
        make_dataset("moons", 10, 0, 0)


def test_split_is_a_partition_with_the_requested_ratio():
    tr, te = split_train_test(500, 0.3, 0)
    assert len(tr) == 150 and len(te) == 350
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(500))
    tr, te = split_train_test(5, 0.1, 0)
    assert len(tr) == 1 and len(te) == 4  # both sides keep a point


def test_features_values_and_scaling():
    X = np.array([[6.0, -3.0], [0.0, np.pi / 2]])
    Z = make_features(X, list(FEATURES))
    assert Z.dtype == np.float32 and Z.shape == (2, 7)
    expected = np.array([[1.0, -0.5, (36 - 12) / 18, (9 - 12) / 18, -18 / 18, np.sin(6.0),
                          np.sin(-3.0)],
                         [0.0, np.pi / 12, -12 / 18, ((np.pi / 2) ** 2 - 12) / 18, 0.0, 0.0, 1.0]])
    np.testing.assert_allclose(Z, expected, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="'x3'"):
        make_features(X, ["x1", "x3"])


def test_heat_map_encoding_round_trip():
    import base64

    from reglab.playground.frames import encode, encode_columns, encode_symmetric, grid_points

    g = grid_points(4)
    # Row-major from the top-left: first point is (-4.5, 4.5), last (4.5, -4.5).
    np.testing.assert_allclose(g[0], [-4.5, 4.5])
    np.testing.assert_allclose(g[-1], [4.5, -4.5])
    v = np.array([0.0, 0.25, 1.0, 2.0, np.nan])
    q = np.frombuffer(base64.b64decode(encode(v, 0.0, 1.0)), np.uint8)
    np.testing.assert_array_equal(q, [0, 64, 255, 255, 0])
    H = np.array([[1.0, 0.0], [-2.0, 0.0], [0.5, 0.0]])
    cols = encode_columns(H)
    for j, (b64, scale) in enumerate(cols):
        single, s = encode_symmetric(H[:, j])
        assert b64 == single and scale == s
    back = np.frombuffer(base64.b64decode(cols[0][0]), np.uint8) / 127.5 - 1
    np.testing.assert_allclose(back * cols[0][1], H[:, 0], atol=2 / 255 * 2)


def test_feature_input_text_matches_the_transform():
    """The tooltip's formula is the one make_features applies (checked at a point)."""
    from reglab.playground.datasets import feature_input

    assert feature_input("x1sq") == "(X\u2081\u00b2 \u2212 12) / 18"
    assert feature_input("x1") == "X\u2081 / 6" and feature_input("sinx2") == "sin(X\u2082)"
    Z = make_features(np.array([[3.0, -2.0]]), ["x1sq", "x1", "x1x2", "sinx2"])
    np.testing.assert_allclose(Z[0], [(9 - 12) / 18, 3 / 6, -6 / 18, np.sin(-2.0)], rtol=1e-6)
