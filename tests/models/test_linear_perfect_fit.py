"""R's summary.lm "essentially perfect fit" check: warned once at fit, noted in summary()."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from reglab.io import load_model, save_model
from reglab.models.linear import LinearRegression, PerfectFitWarning

MESSAGE = ("essentially perfect fit: the residual variance is below 1e-30 (mean(fitted)^2 + "
           "var(fitted)), so standard errors, t, F and p values are round-off and unreliable")
RNG = np.random.default_rng(12)
X = pd.DataFrame({"a": RNG.normal(size=20), "b": RNG.normal(size=20)})


def _fit(y, w=None, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        m = LinearRegression(**kw).fit(X, y, sample_weight=w)
    return m, [w for w in rec if issubclass(w.category, PerfectFitWarning)]


@pytest.mark.parametrize("solver", ["qr", "svd"])
def test_exact_fit_warns_once_at_the_callers_line_and_in_summary(solver, tmp_path):
    # y = 1 + 2a exactly: p = 2.7e-254 and F = 2e31 used to come with no word of caution
    m, caught = _fit(1 + 2 * X.a, solver=solver)
    assert [str(w.message) for w in caught] == [MESSAGE]
    assert caught[0].filename == __file__
    assert m.perfect_fit_
    f = m.fitted_values_
    assert m.scale_ < (f.mean() ** 2 + f.var(ddof=1)) * 1e-30  # R's test, by hand
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # summary() and a reloaded model do not warn again
        assert m.summary().splitlines()[-1] == "WARNING: " + MESSAGE
        save_model(m, tmp_path / "m.reglab")
        assert load_model(tmp_path / "m.reglab").model.summary().endswith("WARNING: " + MESSAGE)


def test_constant_response_and_weighted_exact_fit_warn():
    assert len(_fit(np.full(20, 5.0))[1]) == 1  # fitted = 5: mean(f)^2 = 25
    w = RNG.uniform(0.5, 2, 20)
    w[:3] = 0.0
    assert len(_fit(1 + 2 * X.a - X.b, w=w)[1]) == 1


def test_all_zero_response_does_not_warn_as_in_r():
    # resvar = 0 is not below (0 + 0) * 1e-30: R's test is strict and so is this one
    m, caught = _fit(np.zeros(20))
    assert caught == [] and not m.perfect_fit_


def test_noise_of_1e_6_does_not_warn():
    y = 1 + 2 * X.a + 1e-6 * RNG.normal(size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = LinearRegression().fit(X, y)
    assert not m.perfect_fit_ and "WARNING" not in m.summary()
    # statsmodels' residual variance (independent): the same to rtol 1e-6, ~1e17 times R's bound
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    np.testing.assert_allclose(m.scale_, ref.scale, rtol=1e-6)
    f = ref.fittedvalues
    assert ref.scale > 1e15 * (f.mean() ** 2 + f.var(ddof=1)) * 1e-30
