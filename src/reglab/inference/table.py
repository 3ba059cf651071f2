"""R-like coefficient tables and text summaries.

:func:`coef_table` turns estimates and standard errors into the table R's ``summary()`` prints
(plus ``confint``'s Wald interval), and :func:`format_summary` renders it as text with R's
significance stars. The GLM, logistic and linear estimators all share these two functions, so
every model prints the same way.

This module is NumPy/pandas/SciPy only (printing is not array-namespace code).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["coef_table", "format_summary", "format_table", "significance_stars", "format_pvalue"]

#: R's ``.Machine$double.eps``-based floor used by ``format.pval`` in ``printCoefmat`` (2e-16).
_P_FLOOR = 2e-16
_STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, "."), (math.inf, " "))
SIGNIF_LEGEND = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"


def _as_series(values, name: str, index=None) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.astype(float)
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if index is None:
        index = [f"x{i}" for i in range(arr.shape[0])]
    return pd.Series(arr, index=list(index), name=name)


def _ci_labels(level: float) -> tuple[str, str]:
    # R's confint labels: "2.5 %" and "97.5 %" (format(100 * a, digits = 3) then " %").
    lo = 100 * (1 - level) / 2
    hi = 100 - lo
    return f"{lo:.3g} %", f"{hi:.3g} %"


def coef_table(params, std_errors, dist: str = "t", df: float | None = None,
               level: float = 0.95, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Coefficient table with Wald statistics, two-sided p-values and confidence intervals.

    For each coefficient ``b`` with standard error ``se``::

        stat = b / se
        p    = 2 * (1 - F(|stat|))        F = Student t(df) if dist == "t" else N(0, 1)
        CI   = b -/+ q * se,  q = F^{-1}((1 + level) / 2)

    Parameters
    ----------
    params, std_errors : pandas Series or array, shape (p,)
        Estimates and their standard errors. A Series' index gives the row names (``names`` or
        ``x0, x1, ...`` otherwise). NaN entries (aliased coefficients) give NaN rows (R's NA).
    dist : {"t", "z"}
        Reference distribution: ``"t"`` for models with an estimated scale (needs ``df``, the
        residual degrees of freedom), ``"z"`` for a known scale (binomial, Poisson).
    level : float in (0, 1)
        Confidence level of the interval columns.

    Returns
    -------
    pandas.DataFrame, shape (p, 6)
        Columns ``Estimate``, ``Std. Error``, ``t value``/``z value``, ``Pr(>|t|)``/``Pr(>|z|)``,
        and the two interval bounds labelled like R's ``confint`` (``"2.5 %"``, ``"97.5 %"``).
    """
    if dist not in ("t", "z"):
        raise ValueError(f"dist must be 't' or 'z', got {dist!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    est = _as_series(params, "Estimate", names)
    if isinstance(std_errors, pd.Series) and std_errors.index.equals(est.index):
        s_arr = std_errors.to_numpy(dtype=float)
    else:
        s_arr = np.asarray(std_errors, dtype=float).reshape(-1)
    if len(est) != len(s_arr):
        raise ValueError(f"params has {len(est)} entries but std_errors has {len(s_arr)}")
    se = pd.Series(s_arr, index=est.index)
    if dist == "t":
        if df is None or not df > 0:
            raise ValueError(f"dist='t' needs positive residual degrees of freedom df, got {df!r}")
        ref = stats.t(df)
    else:
        ref = stats.norm  # the unfrozen distribution: freezing costs ~1.5 ms per table
    b = est.to_numpy()
    s = se.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = b / s
    # sf(|t|) rather than 1 - cdf(|t|): keeps tiny p-values (1e-30) instead of rounding to 0.
    pval = 2.0 * ref.sf(np.abs(stat))
    q = ref.ppf(0.5 + level / 2.0)
    lo_name, hi_name = _ci_labels(level)
    return pd.DataFrame(
        {"Estimate": b, "Std. Error": s, f"{dist} value": stat, f"Pr(>|{dist}|)": pval,
         lo_name: b - q * s, hi_name: b + q * s},
        index=est.index,
    )


def significance_stars(p: float) -> str:
    """R's significance code for a p-value: ``***`` < 0.001 <= ``**`` < 0.01 <= ``*`` < 0.05 ..."""
    if p is None or not np.isfinite(p):
        return " "
    for cut, star in _STARS:
        if p < cut:
            return star
    return " "


def format_pvalue(p: float, digits: int = 3) -> str:
    """A p-value as R's ``format.pval`` prints it: ``"< 2e-16"`` below the floor, NA for NaN."""
    if p is None or not np.isfinite(p):
        return "NA"
    if p < _P_FLOOR:
        return "< 2e-16"
    if p < 1e-4:
        return f"{p:.{digits - 1}e}"
    # fixed notation with `digits` significant digits ("0.000944", "0.0356", "0.863")
    return f"{p:.{digits - 1 - math.floor(math.log10(p))}f}"


def _format_column(values: np.ndarray, digits: int = 4) -> list[str]:
    """Format a numeric column with one shared notation, as R's ``format`` does.

    Fixed notation with enough decimals that the smallest nonzero magnitude keeps ``digits``
    significant digits, unless that is wider than scientific notation; then scientific.
    """
    finite = values[np.isfinite(values)]
    mags = np.abs(finite[finite != 0])
    if mags.size:
        lead = math.floor(math.log10(mags.min()))
        fixed = f"{{:.{min(max(0, digits - 1 - lead), 15)}f}}"
    else:
        fixed = "{:.0f}"
    sci = f"{{:.{digits - 1}e}}"
    width_fixed = max((len(fixed.format(v)) for v in finite), default=0)
    width_sci = max((len(sci.format(v)) for v in finite), default=0)
    fmt = fixed if width_fixed <= width_sci else sci

    def one(v: float) -> str:
        if np.isnan(v):
            return "NA"
        if np.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        return fmt.format(v)

    return [one(v) for v in values]


def format_table(table: pd.DataFrame, digits: int = 4, stars: bool = True) -> str:
    """Render a :func:`coef_table` (or any numeric DataFrame) as aligned text.

    Columns whose name starts with ``Pr(`` are printed as p-values and, when ``stars`` is true,
    followed by R's significance codes; statistic columns (``t value``/``z value``) get 3 decimals.
    """
    cols: dict[str, list[str]] = {}
    pcol = None
    for name in table.columns:
        vals = table[name].to_numpy(dtype=float)
        if str(name).startswith("Pr("):
            pcol = name
            cols[name] = [format_pvalue(v) for v in vals]
        elif str(name).endswith(" value"):
            cols[name] = ["NA" if np.isnan(v) else f"{v:.3f}" for v in vals]
        else:
            cols[name] = _format_column(vals, digits)
    if stars and pcol is not None:
        cols[""] = [significance_stars(v) for v in table[pcol].to_numpy(dtype=float)]
    rownames = [str(i) for i in table.index]
    row_w = max([len(r) for r in rownames] + [0])
    widths = {k: max(len(str(k)), *(len(s) for s in v)) if v else len(str(k))
              for k, v in cols.items()}
    header = " " * row_w + "".join(
        " " + (str(k).rjust(widths[k]) if k else " " * widths[k]) for k in cols)
    lines = [header.rstrip()]
    for i, rname in enumerate(rownames):
        cells = []
        for k, v in cols.items():
            cells.append(" " + (v[i].ljust(widths[k]) if k == "" else v[i].rjust(widths[k])))
        lines.append((rname.ljust(row_w) + "".join(cells)).rstrip())
    return "\n".join(lines)


def format_summary(title: str, table: pd.DataFrame, footer_lines: Iterable[str] = (),
                   digits: int = 4) -> str:
    """A text summary like R's ``print(summary(fit))``.

    Layout: ``title``, a blank line, ``Coefficients:``, the table (:func:`format_table`), the
    significance legend when the table has a p-value column, a blank line, then ``footer_lines``
    (residual standard error, R^2, deviance, AIC, ... as the caller formats them).
    """
    parts = [title, "", "Coefficients:", format_table(table, digits=digits)]
    if any(str(c).startswith("Pr(") for c in table.columns):
        parts += ["---", SIGNIF_LEGEND]
    footer = [str(line) for line in footer_lines]
    if footer:
        parts += [""] + footer
    return "\n".join(parts)
