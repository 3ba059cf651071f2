"""The fit report's "Influential rows" section: R's influence measures of the fitted model, the
rows named by data row and file line, and the flagged rows always listed."""

import numpy as np
import pandas as pd

from reglab.compare import design
from reglab.data import read_table
from reglab.data.tabular import prepare
from reglab.viz._influence import influence_plot, listed_rows
from reglab.viz.fit_report import build_fit_report


def _outliers(tmp_path):
    rng = np.random.default_rng(1)
    n = 60
    x, z = rng.uniform(0, 10, n), rng.normal(size=n)
    y = 1 + 0.5 * x + 0.3 * z + rng.normal(scale=0.5, size=n)
    y[7] += 6  # a gross error in y
    x[11], y[11] = 25.0, 2.0  # far out in x, off the line: high leverage and influence
    path = tmp_path / "d.csv"
    pd.DataFrame({"x": x, "z": z, "y": y}).to_csv(path, index=False)
    return prepare(read_table(path), "y")


def test_linear_report_names_the_influential_rows_by_line(tmp_path):
    from reglab.models.linear import LinearRegression

    data = _outliers(tmp_path)
    model = LinearRegression().fit(design(data), data.y)
    infl = model.influence(design(data), data.y)
    assert int(np.argmax(infl["cooks_d"])) == 11 and bool(infl["influential"].iloc[7])
    html = build_fit_report(model, data, "linear", "d.csv").html()
    assert ">Influential rows</h2>" in html
    # the table's first row is the largest Cook's distance, named by row and file line
    first = html.index(">row 11, line 13</td>")
    assert f"{infl['cooks_d'].iloc[11]:.4g}" in html[first:first + 200]
    n_flag = int(infl["influential"].sum())
    assert f"{n_flag} of 60 rows are flagged influential by R&#x27;s rules" in html


def test_listed_rows_keep_every_flagged_row_in_cooks_order():
    d = np.array([0.1, 5.0, np.nan, 0.3, 0.01, 0.2])
    flagged = np.array([False, True, False, False, True, False])
    # two largest (1, 3) plus the flagged row 4, by decreasing Cook's distance; NaN never first
    np.testing.assert_array_equal(listed_rows(d, flagged, n=2), [1, 3, 4])
    np.testing.assert_array_equal(listed_rows(d, flagged, n=2, most=2), [1, 3])


def test_models_without_influence_get_no_section_and_the_plot_skips_nan_rows():
    from reglab.models.forest import RandomForestRegressor

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=80)})
    df["y"] = df.a + rng.normal(size=80)
    data = prepare(df, "y")
    rf = RandomForestRegressor(n_estimators=10, random_state=0).fit(design(data), data.y)
    assert "Influential rows" not in build_fit_report(rf, data, "forest", "f.csv").html()
    infl = pd.DataFrame({"hat": [0.1, 0.0, 0.3], "std_resid": [1.0, np.nan, -2.0],
                         "cooks_d": [0.05, np.nan, 0.9]})
    fig = influence_plot(infl, ["a", "b", "c"])
    cook, lev = fig.axes[0], fig.axes[1]
    assert len(lev.collections[0].get_offsets()) == 2  # the weight-0 row (NaN) is left out
    assert [t.get_text() for t in cook.texts] == ["c", "a"]  # largest Cook's distance first
