"""Tests for reglab.inference.table: coefficient tables and R-like text summaries."""

import math

import numpy as np
import pandas as pd
import pytest

from reglab.inference.table import (
    coef_table,
    format_pvalue,
    format_summary,
    format_table,
    significance_stars,
)

# NIST StRD Longley certified estimates and standard errors (order: GNPDEFL, GNP, UNEMP, ARMED,
# POP, YEAR, const), as stored in statsmodels/regression/tests/results/results_regression.py
# (class Longley); p-values there are from R, confidence intervals from Stata.
LONGLEY_PARAMS = [15.0618722713733, -0.358191792925910e-01, -2.02022980381683,
                  -1.03322686717359, -0.511041056535807e-01, 1829.15146461355, -3482258.63459582]
LONGLEY_BSE = [84.9149257747669, 0.334910077722432e-01, 0.488399681651699, 0.214274163161675,
               0.226073200069370, 455.478499142212, 890420.383607373]
LONGLEY_P_R = [0.86314083, 0.31268106, 0.00253509, 0.00094437, 0.8262118, 0.0030368, 0.0035604]
LONGLEY_CI_STATA = [(-177.0291, 207.1524), (-.111581, .0399428), (-3.125065, -.9153928),
                    (-1.517948, -.5485049), (-.5625173, .4603083), (798.7873, 2859.515),
                    (-5496529, -1467987)]


def test_longley_t_table_matches_r_and_stata():
    names = ["GNPDEFL", "GNP", "UNEMP", "ARMED", "POP", "YEAR", "Intercept"]
    tab = coef_table(pd.Series(LONGLEY_PARAMS, index=names), LONGLEY_BSE, dist="t", df=9)
    assert list(tab.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)", "2.5 %",
                                 "97.5 %"]
    assert list(tab.index) == names
    # the R p-values are stored rounded to 8 decimals: agree to half a unit in the last place
    np.testing.assert_allclose(tab["Pr(>|t|)"], LONGLEY_P_R, rtol=0, atol=5e-9)
    ci = np.array(LONGLEY_CI_STATA)
    # Stata's bounds come from Stata's own (non-certified) estimates of this ill-conditioned
    # problem, which differ from NIST's in the 7th digit: agree to 5e-6 relative.
    np.testing.assert_allclose(tab["2.5 %"], ci[:, 0], rtol=5e-6)
    np.testing.assert_allclose(tab["97.5 %"], ci[:, 1], rtol=5e-6)
    # exact: b +/- t_{0.975, 9} se; the quantile solved to 30 digits with mpmath
    # (betainc(4.5, 0.5, 0, 9 / (9 + t^2)) / 2 = 0.025); SciPy's ppf is good to ~3e-11.
    half = 2.26215716279820554 * np.asarray(LONGLEY_BSE)
    np.testing.assert_allclose(tab["97.5 %"], np.add(LONGLEY_PARAMS, half), rtol=1e-10)
    np.testing.assert_allclose(tab["t value"], np.divide(LONGLEY_PARAMS, LONGLEY_BSE), rtol=1e-14)


def test_cauchy_closed_form_and_z():
    # Student t with 1 df is Cauchy: P(|T| > t) = 1 - (2 / pi) * atan(t)
    tab = coef_table([3.0, -0.5], [1.0, 1.0], dist="t", df=1)
    expected = [1 - 2 / math.pi * math.atan(3.0), 1 - 2 / math.pi * math.atan(0.5)]
    np.testing.assert_allclose(tab["Pr(>|t|)"], expected, rtol=1e-12)
    # the 97.5 % Cauchy quantile is tan(pi * 0.475)
    np.testing.assert_allclose(tab["97.5 %"], [3 + math.tan(math.pi * 0.475),
                                               -0.5 + math.tan(math.pi * 0.475)], rtol=1e-10)
    z = coef_table([1.959963984540054], [1.0], dist="z", level=0.9)
    assert list(z.columns)[2:4] == ["z value", "Pr(>|z|)"]
    np.testing.assert_allclose(z["Pr(>|z|)"], [0.05], rtol=1e-12)
    assert list(z.columns)[4:] == ["5 %", "95 %"]
    np.testing.assert_allclose(z["95 %"], [1.959963984540054 + 1.6448536269514722], rtol=1e-12)


def test_tiny_pvalues_keep_precision_and_nan_rows():
    tab = coef_table([30.0, np.nan], [1.0, np.nan], dist="z", names=["a", "b"])
    # two-sided normal tail = erfc(|z| / sqrt 2) ~ 5e-198: survival function, not 1 - cdf
    np.testing.assert_allclose(tab.loc["a", "Pr(>|z|)"], math.erfc(30 / math.sqrt(2)), rtol=1e-12)
    assert tab.loc["b"].isna().all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(dist="t"), "degrees of freedom"),
    (dict(dist="t", df=0), "degrees of freedom"),
    (dict(dist="f", df=3), "dist"),
    (dict(dist="z", level=1.0), "level"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        coef_table([1.0], [1.0], **kwargs)


def test_length_mismatch():
    with pytest.raises(ValueError, match="2 entries"):
        coef_table([1.0, 2.0], [1.0, 2.0, 3.0], dist="z")


@pytest.mark.parametrize("p, stars", [(0.0005, "***"), (0.001, "**"), (0.009, "**"),
                                      (0.04, "*"), (0.07, "."), (0.1, " "), (0.5, " "),
                                      (float("nan"), " ")])
def test_stars_follow_r_cutpoints(p, stars):
    assert significance_stars(p) == stars


def test_pvalue_formatting():
    assert format_pvalue(1e-20) == "< 2e-16"
    assert format_pvalue(0.0035604) == "0.00356"
    assert format_pvalue(3.2e-6) == "3.20e-06"
    assert format_pvalue(float("nan")) == "NA"


def test_summary_text_layout():
    tab = coef_table(pd.Series([2.0, 0.001, np.nan], index=["Intercept", "x", "x_dup"]),
                     [0.1, 0.5, np.nan], dist="t", df=10)
    text = format_summary("Linear regression", tab, ["Residual standard error: 1.2 on 10 df"])
    lines = text.splitlines()
    assert lines[0] == "Linear regression"
    assert "Coefficients:" in lines
    header = next(line for line in lines if "Estimate" in line)
    assert "Pr(>|t|)" in header and "97.5 %" in header
    row = next(line for line in lines if line.startswith("Intercept"))
    assert row.rstrip().endswith("***")
    dup = next(line for line in lines if line.startswith("x_dup"))
    assert dup.split()[1:5] == ["NA", "NA", "NA", "NA"]
    assert lines[-1] == "Residual standard error: 1.2 on 10 df"
    assert any(line.startswith("Signif. codes:") for line in lines)
    # every table line has the same width up to the star column: columns are aligned
    body = format_table(tab, stars=False).splitlines()
    assert len({len(line) for line in body}) == 1
