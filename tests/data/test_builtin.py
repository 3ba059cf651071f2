"""built-in data sets: shapes, tasks, and the generating truth recovered by a closed form."""

import numpy as np
import pytest

from reglab.data import DATASETS, DataError, load_data, load_dataset, prepare, synthetic


@pytest.mark.parametrize("name", sorted(n for n in DATASETS if n != "randhie"))
def test_every_dataset_prepares_with_its_declared_task(name):
    info = DATASETS[name]
    df = load_dataset(name)
    assert info.target in df.columns
    for col in (*info.x_err, *([info.y_err] if info.y_err else [])):
        assert (df[col] > 0).all()
    exclude = [*info.x_err, *([info.y_err] if info.y_err else [])]
    p = prepare(df, info.target, task=info.task, exclude=exclude)
    assert p.X.shape[0] == len(df) and np.isfinite(p.X).all()


def test_synthetic_sets_are_reproducible_and_sized():
    a, b = load_dataset("surface", n_samples=50, seed=3), load_dataset("surface", 50, 3)
    assert a.equals(b) and len(a) == 50
    assert not a.equals(load_dataset("surface", 50, 4))
    assert len(load_dataset("randhie", n_samples=100)) == 100


def test_line_recovers_lecture_truth_by_least_squares():
    df = synthetic.line(20000, seed=1)
    slope, intercept = np.polyfit(df["x"], df["y"], 1)
    # standard error of the slope ~ 1 / (sd(x) sqrt(n)) = 1 / (2.89 * 141) ~ 0.0025
    assert abs(slope - 0.5) < 0.01 and abs(intercept - 2.0) < 0.06


def test_surface_is_its_formula_plus_noise():
    df = synthetic.surface(20000, seed=2)
    resid = df["y"] - synthetic.surface_mean(df["x1"].to_numpy(), df["x2"].to_numpy())
    assert abs(resid.mean()) < 0.01 and abs(resid.std() - 0.3) < 0.01


def test_globular_counts_are_overdispersed_negative_binomial():
    df = synthetic.globular_clusters(20000, seed=0)
    t = synthetic.GLOBULAR_TRUTH
    mu = np.exp(t["beta0"] + t["beta1"] * df["M_V"])  # M_V error is tiny on this scale
    # NB2: Var = mu + mu^2 / k, so E[(y - mu)^2 - mu] / E[mu^2] = 1 / k
    ratio = ((df["N_GC"] - mu) ** 2 - mu).sum() / (mu**2).sum()
    assert abs(ratio - 1 / t["k"]) < 0.15
    assert (df["N_GC"] >= 0).all() and df["N_GC"].dtype == np.int64


def test_msigma_slope_is_attenuated_by_x_errors_as_expected():
    df = synthetic.msigma(20000, seed=0)
    slope = np.polyfit(df["log_sigma"], df["log_M"], 1)[0]
    var_x = (0.8**2) / 12  # U(1.8, 2.6)
    var_err = np.mean(df["log_sigma_err"] ** 2)
    expected = synthetic.MSIGMA_TRUTH["beta"] * var_x / (var_x + var_err)  # regression dilution
    assert abs(slope - expected) < 0.1


@pytest.mark.parametrize("name", ["circle", "xor", "moons", "spiral", "blobs"])
def test_classification_sets_are_balanced(name):
    counts = load_dataset(name)["label"].value_counts()
    assert counts.min() >= 0.3 * counts.max()


def test_unknown_builtin_lists_the_available_ones():
    with pytest.raises(DataError, match="unknown built-in data set 'nope'; available: line"):
        load_data("builtin:nope")
