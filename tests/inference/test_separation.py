"""Separation warnings name what separates: the intercept alone for a constant response, the
columns otherwise (the exact text each prints)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from reglab.inference.separation import SeparationWarning, detect_separation
from reglab.models.glm import GLM

RNG = np.random.default_rng(5)
X = pd.DataFrame({"a": RNG.normal(size=40), "b": RNG.normal(size=40)})


def _warned(X, y):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = GLM(family="binomial").fit(X, y)
    msgs = [str(w.message) for w in rec if issubclass(w.category, SeparationWarning)]
    assert len(msgs) == 1, msgs
    return m, msgs[0]


@pytest.mark.parametrize("value, sign", [(1.0, "+"), (0.0, "-")])
def test_constant_response_is_separated_by_the_intercept_alone(value, sign):
    # b is pure noise: it used to be named ("column(s) 'b' separate the outcomes") because the
    # greedy reduction never dropped the last column
    m, msg = _warned(X, np.full(40, value))
    assert msg == ("complete separation by the intercept alone: the response is constant "
                   f"(every response is {value:g}); the intercept estimate diverges (to {sign}inf)"
                   " and the maximum-likelihood estimate does not exist. Check the response "
                   "column")
    assert m.separation_.complete and m.separation_.columns == []
    assert m.separation_.constant == value


def test_a_separating_column_is_still_named():
    y = (X.a > 0.2).astype(float).to_numpy()
    m, msg = _warned(X, y)
    assert msg == ("complete separation: column(s) 'a' separate the outcomes; the maximum-"
                   "likelihood estimate does not exist (coefficients diverge). Drop or merge "
                   "those columns, or use a penalty (alpha > 0)")
    assert m.separation_.constant is None


def test_quasi_separation_is_named():
    rng = np.random.default_rng(2)
    xq = np.r_[np.zeros(20), rng.uniform(0.1, 1, 60)]
    yq = np.r_[np.tile([0.0, 1.0], 10), np.ones(60)]  # x > 0 always 1, x = 0 mixed
    Xq = pd.DataFrame({"x": xq, "z": rng.normal(size=80)})
    m, msg = _warned(Xq, yq)
    assert msg == ("quasi-complete separation: column(s) 'x' separate the outcomes; the maximum-"
                   "likelihood estimate does not exist (coefficients diverge). Drop or merge "
                   "those columns, or use a penalty (alpha > 0)")
    assert not m.separation_.complete


def test_constant_response_without_intercept_names_the_column_and_says_constant():
    # no intercept: a column of one sign separates an all-ones response; the message says both
    Xp = np.column_stack([np.abs(X.a) + 0.1, X.b])
    sep = detect_separation(Xp, np.ones(40), fit_intercept=False, column_names=["a", "b"])
    assert sep.separated and sep.complete and sep.columns == ["a"]
    assert sep.message() == (
        "complete separation: column(s) 'a' separate the outcomes (the response is constant: "
        "every response is 1); the maximum-likelihood estimate does not exist (coefficients "
        "diverge). Drop or merge those columns, or use a penalty (alpha > 0)")


def test_zero_weight_rows_do_not_count_for_a_constant_response():
    y = np.r_[np.ones(39), 0.0]
    sw = np.r_[np.ones(39), 0.0]
    sep = detect_separation(X.to_numpy(), y, column_names=["a", "b"], sample_weight=sw)
    assert sep.separated and sep.columns == [] and sep.constant == 1.0
    assert detect_separation(X.to_numpy(), y, column_names=["a", "b"]).constant is None


def _zero_level_counts(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], n)
    y = rng.poisson(np.exp(0.5 + 0.3 * x)).astype(float)
    y[g == "c"] = 0
    X = pd.DataFrame({"x": x, "g_b": (g == "b") * 1.0, "g_c": (g == "c") * 1.0})
    return X, y


def test_counts_with_a_level_of_only_zeros_warn_that_the_mle_does_not_exist():
    """Haberman's condition for log-link counts, checked by the separation LP with the zero rows
    as failures and the positive rows as both outcomes: a level whose counts are all 0 has no
    finite coefficient (R and statsmodels return about -20 silently). Poisson, NB and Tweedie
    warn naming the column; the direction found satisfies the condition; an all-zero response
    blames the intercept; legitimate small counts do not warn."""
    from reglab.models.glm import GLM, NegativeBinomial

    X, y = _zero_level_counts()
    want = ("column(s) 'g_c' single out rows whose counts are all 0: their coefficients diverge "
            "(the fitted means there go to 0) and the maximum-likelihood estimate does not "
            "exist. Drop or merge those columns, or use a penalty (alpha > 0)")
    for model in (GLM(), NegativeBinomial(),
                  GLM(family="tweedie", family_params={"power": 1.5}, link="log")):
        with pytest.warns(SeparationWarning) as rec:
            model.fit(X, y)
        assert [str(w.message) for w in rec if w.category is SeparationWarning] == [want]
        sep = model.separation_
        assert sep.counts and sep.columns == ["g_c"] and model.coef_[2] < -10
        # the LP's direction d (intercept first): X d = 0 where y > 0, <= 0 where y = 0
        eta = np.column_stack([np.ones(len(y)), X.to_numpy()]) @ sep.direction
        assert np.all(np.abs(eta[y > 0]) < 1e-9) and np.all(eta[y == 0] < 1e-9)
        assert eta[y == 0].min() < -1e-3
        assert model.summary().splitlines()[-1] == "WARNING: " + want
    with pytest.warns(SeparationWarning, match=r"^every count is 0: the intercept estimate "
                                               r"diverges \(to -inf\)"):
        GLM().fit(X, np.zeros(len(y)))
    rng = np.random.default_rng(1)
    small = rng.poisson(np.exp(-3 + 0.5 * X.x))  # mean ~0.06: mostly zeros, a finite MLE
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GLM().fit(X[["x"]], small)
