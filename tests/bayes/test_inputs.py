"""Review 7 findings: bounded latent-x prior with data outside it, column names (fit, predict,
x_err by name), x1..xp labels, random_state=None, n_draws above the kept draws."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reglab.bayes import (
    BayesianGLM,
    ErrorsInVariablesRegression,
    Prior,
    Priors,
    SamplingWarning,
)
from reglab.bayes._checks import check_errors, latent_start

from .conftest import FAST, N_EIV, simulate_eiv

X, Y, XE, YE = simulate_eiv(np.random.default_rng(0), n=20)
DF = pd.DataFrame({"a": X, "b": np.random.default_rng(1).normal(size=20)})


class _Stop(Exception):
    """Raised by a stand-in sampler: the fit got past every check."""


def _capture(monkeypatch, cls, seen: dict):
    def fake(self, model, key, kwargs, init, *args, **kw):
        seen.update(kwargs=kwargs, init=init, seed=self._seed())
        raise _Stop

    monkeypatch.setattr(cls, "_sample", fake)


def _fitted(names, from_frame: bool | None) -> ErrorsInVariablesRegression:
    """A fitted two-covariate model without sampling: from_dict of synthetic draws
    (``from_frame=None``: a file from before the feature_names_in key)."""
    rng = np.random.default_rng(0)
    samples = {"intercept": rng.normal(size=(1, 8)), "coef": rng.normal(size=(1, 8, 2)),
               "scatter": rng.uniform(0.5, 1, (1, 8))}
    zeros = np.zeros((5, 2))
    d = {"format": "reglab.bayes", "version": 1, "class": "ErrorsInVariablesRegression",
         "params": ErrorsInVariablesRegression().get_params(), "feature_names": names,
         "feature_names_in": from_frame, "samples": {k: v.tolist() for k, v in samples.items()},
         "data": {"X": zeros.tolist(), "y": [0.0] * 5, "x_err": zeros.tolist(),
                  "y_err": [0.0] * 5, "xy_cov": zeros.tolist()},
         "divergences": 0, "diagnostics": [], "sampling_seconds": 0.0}
    if from_frame is None:
        del d["feature_names_in"]
    return ErrorsInVariablesRegression.from_dict(d)


def test_files_before_the_names_key_check_names_without_a_warning():
    """A file written before feature_names_in existed: named columns (a DataFrame fit) check
    the names of a DataFrame at predict, silently when they match (scikit-learn warned "X has
    feature names, but ... fitted without" on every reglab predict); NumPy-era names x0, x1
    keep no name check."""
    old_df = _fitted(["a", "b"], None)
    assert list(old_df.feature_names_in_) == ["a", "b"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old_df.predict(pd.DataFrame({"a": [0.1], "b": [0.2]}))
    with pytest.raises(ValueError, match="feature names"):
        old_df.predict(pd.DataFrame({"b": [0.1], "a": [0.2]}))
    assert not hasattr(_fitted(["x0", "x1"], None), "feature_names_in_")


# ---- 1. bounded latent-x prior, observation outside its support ------------------------------
def test_observation_outside_a_uniform_latent_prior_is_fitted_not_frozen():
    """The reviewer's case: 60 hosts, truth b0 = -9, b1 = -0.7, NB size 1.5, one M_V = -9.5 just
    outside the de Souza U(-26, -10) prior, x_err 0.2. Before: every draw equal to the start.
    Now the draws move, the truth lies within 3 posterior sd, and the latent M_V of that host is
    inside the support, near its edge (truncated Normal: mean -10.06, sd 0.06 without the
    relation; the posterior must be within 0.2 of the edge)."""
    rng = np.random.default_rng(2)
    mv = rng.uniform(-23, -14, 60)
    mv[0] = -9.5
    y = rng.negative_binomial(1.5, 1.5 / (1.5 + np.exp(-9 - 0.7 * mv)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # 2.5 x_err outside: no warning expected
        warnings.simplefilter("ignore", SamplingWarning)
        est = BayesianGLM("negative_binomial", priors="de_souza2015", random_state=0,
                          **FAST).fit(mv, y, x_err=np.full(60, 0.2))
    table = est.summary()
    for name, truth in (("intercept", -9.0), ("x1", -0.7)):
        assert abs(table.loc[name, "mean"] - truth) < 3 * table.loc[name, "sd"], table
    assert np.unique(est.samples_["coef"][0, :, 0]).size > 100
    assert np.unique(est.samples_["intercept"][0]).size > 100
    assert est.divergences_ <= 15, est.divergences_  # a wall gave hundreds (272 of 300)
    assert -10.2 < est.latent_x_[0, 0] < -10.0
    assert np.all((est.latent_x_ > -26) & (est.latent_x_ < -10))


def test_positive_latent_prior_with_exactly_measured_rows_samples():
    """A Gamma latent-x prior (support (0, inf), x = exp(u)) with five rows measured exactly:
    their u is unused and must still have a proper density. With the Jacobian e^u alone it was
    improper: 600 of 600 transitions diverged, R-hat 8.8 (review 7). Truth: y = 1 + 0.5 x."""
    rng = np.random.default_rng(0)
    n = 30
    xt = rng.gamma(4, 1, n)
    xe = np.full(n, 0.3)
    xe[:5] = 0.0
    x = xt + xe * rng.normal(size=n)
    x[:5] = xt[:5]
    y = 1 + 0.5 * xt + rng.normal(size=n) * 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        est = BayesianGLM(priors=Priors(latent_x=Prior.gamma(4, 1)), random_state=1,
                          **FAST).fit(x[:, None], y, x_err=xe[:, None])
    assert est.divergences_ <= 5, est.divergences_
    table = est.summary()
    for name, truth in (("intercept", 1.0), ("x1", 0.5)):
        assert abs(table.loc[name, "mean"] - truth) < 3 * table.loc[name, "sd"], table
    np.testing.assert_array_equal(est.latent_x_[:5, 0], x[:5])  # exact rows stay put


def test_latent_start_warns_far_outside_and_refuses_exact_values():
    prior = Prior.uniform(-26, -10)
    x = np.array([[-12.0], [-9.5], [-8.0], [-7.0]])
    err = np.full((4, 1), 0.2)
    with pytest.warns(UserWarning) as record:
        u = latent_start(x, err, prior, ["M_V"])
    assert str(record[0].message) == (
        "X at row 2, column 'M_V' is -8, 10.0 x_err outside the latent-x prior's support "
        "(-26, -10) (2 values lie more than 5 x_err outside): the prior puts its true value "
        "inside, so the fit treats it as a 10.0-sigma measurement error; check the value, its "
        "x_err and the prior")
    # starts: the inside row at its observation, the others one x_err inside the edge
    start = -26 + 16 / (1 + np.exp(-u.T))
    np.testing.assert_allclose(start, [[-12.0], [-10.2], [-10.2], [-10.2]], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert latent_start(x[:2], err[:2], prior, ["M_V"]) is not None  # 2.5 x_err: quiet
        assert latent_start(x, err, Prior.normal(0, 10), ["M_V"]) is None
    positive = latent_start(np.array([[-0.1], [2.0]]), np.full((2, 1), 0.5),
                            Prior.gamma(2, 1), ["x1"])
    np.testing.assert_allclose(np.exp(positive.T), [[0.5], [2.0]], rtol=1e-12)
    mv = np.r_[-9.5, np.linspace(-23, -14, 19)]
    with pytest.raises(ValueError) as info:
        BayesianGLM("poisson", priors="de_souza2015").fit(
            mv, np.arange(20), x_err=np.r_[0.0, np.full(19, 0.2)])
    assert str(info.value) == (
        "X at row 0, column 'x1' is -9.5, outside the latent-x prior's support (-26, -10), and "
        "its x_err is 0: its latent x is the observation itself, which the prior rules out; give "
        "it a measurement error, drop the row or widen the prior")


# ---- 3, 6, 7. column names ---------------------------------------------------------------------
def test_predict_checks_column_names_as_glm_does():
    """Fitted on a DataFrame: feature_names_in_ is set and predict refuses other names or
    another order with scikit-learn's message, the one reglab's GLM gives."""
    from reglab.models import GLM

    est = _fitted(["a", "b"], from_frame=True)
    assert list(est.feature_names_in_) == ["a", "b"] and est.feature_names_ == ["a", "b"]
    glm = GLM("gaussian").fit(DF, Y)
    for bad in (DF[["b", "a"]], DF.rename(columns={"b": "c"})):
        with pytest.raises(ValueError) as ours:
            est.predict(bad)
        with pytest.raises(ValueError) as theirs:
            glm.predict(bad)
        assert str(ours.value) == str(theirs.value).replace("GLM", "ErrorsInVariablesRegression")
        assert "feature names should match those that were passed during fit" in str(ours.value)
    np.testing.assert_allclose(est.predict(DF), est.predict(DF[["a", "b"]]))
    assert list(est.summary().index) == ["intercept", "a", "b", "scatter"]
    back = ErrorsInVariablesRegression.from_dict(est.to_dict())
    assert list(back.feature_names_in_) == ["a", "b"]
    plain = _fitted(["x1", "x2"], from_frame=False)
    assert not hasattr(plain, "feature_names_in_")
    assert list(plain.summary().index) == ["intercept", "x1", "x2", "scatter"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy in, numpy fit: no feature-name warning
        plain.predict(DF.to_numpy())
        est.plot_fit(feature="b")  # the plot's grid carries the names


def test_x_err_data_frame_is_aligned_to_x_by_name(monkeypatch):
    """x_err columns in another order are matched by name (a gets a's error bar); a missing or
    an extra column is refused naming it; NumPy x_err with too few columns names X's columns."""
    n = len(DF)
    err = pd.DataFrame({"b": np.full(n, 0.5), "a": np.full(n, 0.01)})
    np.testing.assert_array_equal(
        check_errors(err, n, 2, "x_err", ["a", "b"], np.array(["a", "b"], dtype=object)),
        np.column_stack([np.full(n, 0.01), np.full(n, 0.5)]))
    seen: dict = {}
    _capture(monkeypatch, ErrorsInVariablesRegression, seen)
    with pytest.raises(_Stop):
        ErrorsInVariablesRegression().fit(DF, Y, x_err=err)
    xsd = DF.to_numpy().std(axis=0)
    np.testing.assert_allclose(seen["kwargs"]["sxx"][0], (np.array([0.01, 0.5]) / xsd) ** 2)
    cases = [
        (err[["b"]], "x_err has no column 'a' (X has columns a, b); give 0 for a column "
                     "measured exactly"),
        (err.assign(c=0.1), "x_err has column 'c', which X does not have (X has columns a, b)"),
        (np.full((n, 1), 0.1), "x_err has 1 column(s), X has 2 (a, b): give one error column per "
                               "column of X, 0 for a column measured exactly"),
        (np.full(n, 0.1), "x_err has 1 column(s), X has 2 (a, b): give one error column per "
                          "column of X, 0 for a column measured exactly"),
        (err.assign(a=-1.0), "x_err must be finite and >= 0 (standard deviations), got -1.0 at "
                             "row 0, column 'a'"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError) as info:
            ErrorsInVariablesRegression().fit(DF, Y, x_err=bad)
        assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        BayesianGLM().fit(DF.to_numpy(), Y, x_err=np.full((n, 1), 0.1))
    assert str(info.value) == ("x_err has 1 column(s), X has 2 (x1, x2): give one error column "
                               "per column of X, 0 for a column measured exactly")
    with pytest.raises(ValueError, match=r"column 'x1' of X is constant"):
        ErrorsInVariablesRegression().fit(np.ones(20), Y)


# ---- 5. random_state=None is fresh entropy ------------------------------------------------------
def test_random_state_none_is_fresh_entropy(monkeypatch, eiv_fit):
    seen: dict = {}
    _capture(monkeypatch, ErrorsInVariablesRegression, seen)
    seeds = []
    for rs in (None, None, 5, np.random.default_rng(1)):
        with pytest.raises(_Stop):
            ErrorsInVariablesRegression(random_state=rs).fit(X, Y)
        seeds.append(seen["seed"])
    assert seeds[0] != seeds[1] and seeds[2] == 5
    assert seeds[3] == int(np.random.default_rng(1).integers(2**31))
    with pytest.raises(ValueError, match="random_state must be an int, None"):
        ErrorsInVariablesRegression(random_state="x").fit(X, Y)


def test_int_seed_reproduces_draws_and_none_does_not(eiv_fit):
    """Same data and seed as the shared fit (conftest): identical draws; None: other draws."""
    x, y, x_err, y_err = simulate_eiv(np.random.default_rng(7))
    assert len(x) == N_EIV
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        again = ErrorsInVariablesRegression(random_state=3, **FAST).fit(x, y, x_err=x_err,
                                                                          y_err=y_err)
        fresh = ErrorsInVariablesRegression(random_state=None, **FAST).fit(x, y, x_err=x_err,
                                                                             y_err=y_err)
    np.testing.assert_array_equal(again.samples_["coef"], eiv_fit.samples_["coef"])
    assert not np.array_equal(fresh.samples_["coef"], eiv_fit.samples_["coef"])


# ---- 9. n_draws above the kept draws -------------------------------------------------------------
def test_more_draws_than_kept_warns_naming_both_numbers():
    est = _fitted(["a", "b"], from_frame=True)
    with pytest.warns(UserWarning) as record:
        rep = est.sample_posterior_predictive(DF, n_draws=50, random_state=0)
    assert rep.shape == (8, 20)
    assert str(record[0].message) == ("n_draws=50 is more than the 8 posterior draws kept "
                                      "(num_chains x num_samples); returning all 8, each once")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert est.sample_posterior_predictive(DF, n_draws=8, random_state=0).shape == (8, 20)
