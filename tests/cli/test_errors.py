"""Bad input through the CLI: one line on stderr, exit code 1, never a traceback."""

import io

import numpy as np
import pandas as pd
import pytest


def _csv(tmp_path, name, df=None, text=None):
    p = tmp_path / name
    if text is not None:
        p.write_text(text)
    else:
        df.to_csv(p, index=False)
    return p


CASES = {
    "missing file": (lambda t: t / "nope.csv", "y", "file not found"),
    "missing target": (lambda t: _csv(t, "a.csv", pd.DataFrame({"x": [1, 2, 3], "z": [1, 2, 4]})),
                       "y", "target column 'y' not found; columns are: x, z"),
    "empty file": (lambda t: _csv(t, "e.csv", text=""), "y", "is empty"),
    "header only": (lambda t: _csv(t, "h.csv", text="x,y\n"), "y", "no data rows"),
    "only NaN": (lambda t: _csv(t, "n.csv", text="x,y\n,\n,\n,\n"), "y",
                 "no values at all (all missing): y, x"),
    "one class": (lambda t: _csv(t, "o.csv", pd.DataFrame({"x": [1.0, 2, 3], "y": ["a"] * 3})),
                  "y", "single class 'a'"),
    "text in numeric target": (
        lambda t: _csv(t, "t.csv", pd.DataFrame({"x": [1.0, 2, 3, 4],
                                                 "y": ["1.5", "2.5", "oops", "4.0"]})),
        "y", "target column 'y' is not numeric: row 2 (line 4) has 'oops'"),
    "missing values": (
        lambda t: _csv(t, "m.csv", pd.DataFrame({"x": [1.0, np.nan, 3, 4], "y": [1.0, 2, 3, 5]})),
        "y", "1 of 4 rows have missing values in columns x (1, first in row 1, line 3); pass "
             "--drop-missing"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["compare", "fit"])
def test_bad_input_is_one_line_exit_1(tmp_path, run, case, command):
    make, target, message = CASES[case]
    code, out, err = run(command, make(tmp_path), "--target", target, "--quiet")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in out + err


def test_non_numeric_target_for_regression(tmp_path, run):
    p = _csv(tmp_path, "c.csv", pd.DataFrame({"x": [1.0, 2, 3], "y": ["a", "b", "c"]}))
    code, _, err = run("compare", p, "--target", "y", "--task", "continuous", "-q")
    assert code == 1
    assert err.strip() == ("error: target column 'y' must be numeric for continuous regression: "
                           "row 0 (line 2) has 'a'")


def test_usage_errors_exit_2(run):
    assert run("compare")[0] == 2  # missing DATA argument
    assert run("compare", "x.csv", "--no-such-option")[0] == 2
    assert run("frobnicate")[0] == 2


def test_bad_model_file_is_one_line(tmp_path, run):
    p = tmp_path / "m.reglab"
    p.write_text("not a zip")
    code, _, err = run("summary", p)
    assert code == 1 and err.strip() == f"error: {p} is not a reglab model file (not a zip archive)"
    code, _, err = run("predict", tmp_path / "none.reglab", p)
    assert code == 1 and "model file not found" in err


def test_unknown_model_and_rung_names(tmp_path, run):
    code, _, err = run("compare", "builtin:line", "--models", "linear,bogus", "-q")
    assert code == 1 and "no model 'bogus' for task continuous; choose from linear" in err
    code, _, err = run("fit", "builtin:line", "--model", "nope", "-q")
    assert code == 1 and "unknown model 'nope'" in err


def test_help_exits_0(run):
    code, out, _ = run("--help")
    assert code == 0 and "compare" in out and "predict" in out


def test_error_columns_are_checked(run):
    code, _, err = run("compare", "builtin:msigma", "--y-err", "nope", "-q")
    assert code == 1 and "error column 'nope' not found; columns are: log_sigma" in err
    df_err = run("compare", "builtin:msigma", "--x-err", "log_sigma_err,log_M_err", "-q")
    assert df_err[0] == 1 and "--x-err needs one column per feature (log_sigma); got 2" in df_err[2]
    code, _, err = run("compare", "builtin:msigma", "--x-err", "log_sigma_err,log_M_err",
                       "--y-err", "log_M_err", "-q")
    assert code == 1 and err.strip() == ("error: column 'log_M_err' is given to both --x-err "
                                         "and --y-err")


def test_drop_missing_and_one_hot_notes(tmp_path, run):
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    g = np.array(["a", "b", "c", "d"] * 10)
    y = 1 + 2 * x + (g == "b") + rng.normal(0, 0.1, 40)
    x[[3, 7]] = np.nan
    p = _csv(tmp_path, "d.csv", pd.DataFrame({"x": x, "g": g, "y": y}))
    code, out, err = run("compare", p, "--target", "y", "--drop-missing", "--models", "linear",
                         "--folds", "2", "--no-report", "-o", tmp_path / "r")
    assert code == 0, err
    assert "note: dropped 2 of 40 rows with missing values (x (2))" in out
    assert "note: one-hot encoded 'g' (4 levels; baseline 'a')" in out
    assert "38 rows, 2 features (4 columns)" in out


def _ids_and_dates(tmp_path):
    n = 80
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": [f"row{i}" for i in range(n)],
                       "day": pd.date_range("2025-01-01", periods=n).strftime("%Y-%m-%d"),
                       "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = 1.0 + 2.0 * df.x1 + rng.normal(scale=0.1, size=n)
    return _csv(tmp_path, "ids.csv", df)


@pytest.mark.parametrize("command", ["compare", "fit"])
def test_features_and_drop_choose_the_columns(tmp_path, run, command):
    p = _ids_and_dates(tmp_path)
    code, _, err = run(command, p, "--target", "y", "-q", "-o" if command == "compare" else
                       "--model", tmp_path / "rep" if command == "compare" else "linear")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert ("error: feature columns 'id' (80 distinct values in 80 rows, e.g. 'row0'), 'day' "
            "(dates, e.g. '2025-01-01') cannot be one-hot encoded: convert dates to a number "
            "(e.g. days since the first), or leave them out (--drop id,day) or choose the "
            "features (--features A,B)") in err
    extra = ["--no-report", "-o", tmp_path / "rep"] if command == "compare" else \
        ["--model", "linear"]
    code, out, err = run(command, p, "--target", "y", "--drop", "id, day", *extra)
    assert code == 0, err
    assert "80 rows, 2 features\n" in out
    code, out, err = run(command, p, "--target", "y", "--features", "x1", *extra)
    assert code == 0, err
    assert "80 rows, 1 feature\n" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--features", "x1", "--drop", "id"], "--features lists the features to use; it cannot be "
                                           "combined with --drop"),
    (["--features", "x1", "--formula", "y ~ x1"], "cannot be combined with --formula"),
    (["--drop", "idd"], "--drop column 'idd' not found; columns are: id, day, x1, x2, y"),
    (["--features", "x3"], "--features column 'x3' not found"),
    (["--drop", "y"], "'y' is the target; it cannot be dropped"),
    (["--features", "x1,y"], "'y' is the target; it cannot be a feature"),
])
def test_features_and_drop_errors(tmp_path, run, args, message):
    p = _ids_and_dates(tmp_path)
    code, _, err = run("fit", p, "--target", "y", "--model", "linear", "-q", *args)
    assert code == 1 and message in err, err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(("value", "shown"), [(-0.1, "-0.1"), (np.inf, "inf")])
def test_measurement_error_columns_must_be_finite_and_non_negative(tmp_path, run, value, shown):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=12), "ex": 0.1, "y": rng.normal(size=12),
                       "ey": 0.2})
    df.loc[4, "ey"] = value
    p = _csv(tmp_path, "e.csv", df)
    code, _, err = run("compare", p, "--target", "y", "--x-err", "ex", "--y-err", "ey", "-q",
                       "--no-report", "-o", tmp_path / "r")
    assert code == 1
    assert err.strip() == (f"error: error column 'ey' has {shown} in row 4 (line 6): "
                           "measurement errors are standard deviations, finite and >= 0")


def test_a_missing_measurement_error_is_a_missing_value_like_any_other(tmp_path, run):
    """A missing error is a row with a missing value: an error naming the column and row that
    offers --drop-missing, which drops the row."""
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=12), "ex": 0.1, "y": rng.normal(size=12),
                       "ey": 0.2})
    df.loc[4, "ey"] = np.nan
    p = _csv(tmp_path, "e.csv", df)
    args = ("compare", p, "--target", "y", "--x-err", "ex", "--y-err", "ey", "--no-report",
            "--models", "linear", "-o", tmp_path / "r")
    code, _, err = run(*args, "-q")
    assert code == 1 and err.strip() == ("error: 1 of 12 rows have missing values in columns ey "
                                         "(1, first in row 4, line 6); pass --drop-missing to drop "
                                         "them")
    code, out, err = run(*args, "--drop-missing")
    assert code == 0 and "dropped 1 of 12 rows with missing values (ey (1))" in out, err


def test_measurement_errors_for_a_task_no_model_uses_say_so(tmp_path, run):
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=40), "ex": 0.1})
    df["y"] = np.where(df.x + rng.normal(size=40) > 0, "yes", "no")
    p = _csv(tmp_path, "b.csv", df)
    code, out, err = run("compare", p, "--target", "y", "--x-err", "ex", "--models", "logistic",
                         "--folds", "2", "--no-report", "-o", tmp_path / "r")
    assert code == 0, err
    assert ("note: measurement errors are used only by the Bayesian models of the continuous, "
            "positive and counts ladders; this target is binary, so no model uses them") in out


def test_leaderboard_never_truncates_numbers_at_80_columns():
    from rich.console import Console

    from reglab._cli_io import leaderboard_table

    board = pd.DataFrame({"rank": [1, 2], "model": ["Bayesian NB GLM (measurement errors)",
                                                   "errors-in-variables (Bayesian)"],
                          "RMSE": [0.512345, 0.5135], "R2": [0.70481, 0.7009],
                          "Gamma deviance": [0.004141, 0.004156], "AIC": [62.34, float("nan")],
                          "fit time (s)": [0.01313, 1.992], "note": ["", ""]})
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(leaderboard_table(board))
    text = console.export_text()
    assert "…" not in text
    for value in ("0.5123", "0.7048", "0.004141", "62.34", "0.01313", "1.992"):
        assert value in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_predict_rows_missing_their_exposure_are_named_as_such():
    from reglab._cli_io import UserError
    from reglab._cli_models import complete_rows

    schema = {"features": [{"name": "x"}]}
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "years": [1.0, np.nan, 2.0]})
    with pytest.raises(UserError, match=r"^column 'years' has a missing value in row 1 \(1 of 3"):
        complete_rows(df, schema, False, ("years",))
    assert complete_rows(df, schema, True, ("years",)).tolist() == [True, False, True]
    with pytest.raises(UserError, match=r"^every row has a missing feature or years value: "):
        complete_rows(df.assign(years=np.nan), schema, True, ("years",))
