"""The ``reglab`` command line: parses, calls the library, prints. No math here.

Exit codes: 0 success, 1 user error (bad data, bad file, bad option value), 2 usage error (unknown
option, missing argument). Errors are one line on stderr, never a traceback (set
``REGLAB_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reglab._cli_io import (
    STATE,
    UserError,
    bayes_cache,
    either,
    err,
    error_columns,
    leaderboard_table,
    load_prepared,
    measurement_errors,
    named_frame,
    note,
    out,
    side_columns,
    split_list,
    verbatim_rows,
)
from reglab._cli_models import (
    ERROR_MODELS,
    EXPOSURE_MODELS,
    MODEL_CHOICES,
    build_model,
    class_key,
    compare_exposure,
    complete_rows,
    describe,
    exposure_values,
    interval_bounds,
    model_name,
    save_with_meta,
    spread,
    weight_values,
)
from reglab._ladder import ERROR_TASKS, weight_key
from reglab.playground import register as register_playground

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="reglab: regression and neural networks on tabular data.")
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or notes.")]


@app.callback()
def _root() -> None:
    """reglab: regression and neural networks on tabular data."""


Target = Annotated[str | None, typer.Option("--target", "-t", help="Response column.")]
Task = Annotated[str | None, typer.Option(
    help="Override the detected task: continuous, positive, counts, binary, multiclass.")]
Formula = Annotated[str | None, typer.Option(help="R-style formula, e.g. 'y ~ x1 + I(x1**2)'.")]
DropMissing = Annotated[bool, typer.Option("--drop-missing",
                                           help="Drop rows with missing values (else: error).")]
NSamples = Annotated[int | None, typer.Option(help="Rows of a builtin:NAME data set.")]
Seed = Annotated[int, typer.Option(help="Random seed (folds, models).")]
XErr = Annotated[str | None, typer.Option(
    "--x-err", help="Columns of x measurement errors, one per feature.")]
YErr = Annotated[str | None, typer.Option("--y-err", help="Column of y errors.")]
Features = Annotated[str | None, typer.Option(
    help="Comma-separated feature columns to use (default: every column but the target).")]
Drop = Annotated[str | None, typer.Option(
    help="Comma-separated columns to leave out, e.g. an identifier or a date.")]
Weights = Annotated[str | None, typer.Option(
    help="Column of row weights (>= 0): every fit and score is weighted.")]
Exposure = Annotated[str | None, typer.Option(
    help="Column of exposures (> 0: time at risk, population) of a count target; "
         "log(exposure) is the offset.")]

@app.command()
def compare(data: Annotated[str, typer.Argument(help="CSV/Parquet file or builtin:NAME.")],
            target: Target = None, task: Task = None, formula: Formula = None,
            folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
            models: Annotated[str | None, typer.Option(
                help="Comma-separated rung names (prefixes), e.g. 'linear,poisson,mlp'.")] = None,
            x_err: XErr = None, y_err: YErr = None,
            output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")]
            = Path("reglab-report"),
            no_report: Annotated[bool, typer.Option(
                "--no-report", help="Only the leaderboard CSV, no HTML.")] = False,
            fast: Annotated[bool, typer.Option(help="Fewer iterations and trees.")] = False,
            exposure: Exposure = None, weights: Weights = None,
            save_best: Annotated[Path | None, typer.Option(
                help="Write the best model, refitted on all rows, as a model file here.")]
            = None,
            features: Features = None, drop: Drop = None, drop_missing: DropMissing = False,
            n_samples: NSamples = None, seed: Seed = 0, quiet: Quiet = False) -> None:
    """Fit the ladder of models that suit the target, cross-validate, rank, write a report."""
    STATE["quiet"] = quiet
    from rich.progress import Progress

    from reglab.compare import compare as run_compare

    xe, ye = error_columns(data, target, x_err, y_err)
    df, prepared = load_prepared(data, target, task, formula, drop_missing, n_samples, seed,
                                 err_cols=side_columns(xe, ye, exposure, weights),
                                 features=split_list(features), drop=split_list(drop))
    errors = measurement_errors(df, prepared, xe, ye)
    expo = compare_exposure(df, prepared, exposure)
    w = weight_values(df, weights, prepared.frame.index)
    if w is not None:
        note(f"note: weights '{weights}': every model is fitted and scored with them; AIC/BIC "
             "are left out (what they mean depends on what the weights are)")
    if errors and prepared.task not in ERROR_TASKS:
        tasks = f"{', '.join(ERROR_TASKS[:-1])} and {ERROR_TASKS[-1]}"  # all three: "and"
        note(f"note: measurement errors are used only by the Bayesian models of the {tasks} "
             f"ladders; this target is {prepared.task}, so no model uses them")
    elif errors:
        bayes_cache()
    with Progress(disable=quiet, transient=True) as bar:
        job = bar.add_task("models", total=None)
        result = run_compare(prepared, folds=folds, seed=seed, models=split_list(models),
                             errors=errors, exposure=expo, sample_weight=w, fast=fast,
                             on_step=lambda n: bar.update(job, description=f"fitting {n}"))
    out.print(leaderboard_table(result.leaderboard))
    for _, r in result.leaderboard.iterrows():
        if r["note"]:
            note(f"{r['model']}: {r['note']}")
    for r in result.results:
        if r.skipped:
            note(f"{r.name}: {r.skipped}")
    output.mkdir(parents=True, exist_ok=True)
    result.leaderboard.to_csv(output / "leaderboard.csv", index=False)
    if no_report:
        out.print(f"leaderboard written to {output / 'leaderboard.csv'}")
    else:
        from reglab.viz.compare_report import write_compare_report

        path = write_compare_report(result, prepared, output, source=data)
        out.print(f"report written to {path}")
    if save_best is not None:  # after the report: a model that cannot be saved loses nothing
        from reglab._ladder import summary_qualifier

        best = result.best
        scored = f"held-out {result.primary} {best.scores[result.primary]:.4g}"
        title = best.name + summary_qualifier(best.model, exposure)
        path = save_with_meta(best.model, save_best, prepared, best.name,
                              describe(best.model, title, prepared.schema), data, exposure,
                              weights,
                              compare=scored)
        out.print(f"best model ({best.name}, {scored}) saved to {path}")


@app.command()
def fit(data: Annotated[str, typer.Argument(help="CSV/Parquet file or builtin:NAME.")],
        target: Target = None, task: Task = None, formula: Formula = None,
        model: Annotated[str, typer.Option(help=f"One of {', '.join(MODEL_CHOICES)}.")] = "glm",
        family: Annotated[str | None, typer.Option(help="GLM family (poisson, gamma, ...).")]
        = None,
        link: Annotated[str | None, typer.Option(help="GLM link (log, logit, ...).")] = None,
        save: Annotated[Path | None, typer.Option(help="Write the model file here.")] = None,
        report: Annotated[Path | None, typer.Option(
            help="Also write an HTML report of the fit to this directory.")] = None,
        x_err: XErr = None, y_err: YErr = None,
        exposure: Annotated[str | None, typer.Option(
            help="Column of exposures (> 0: time at risk, population) for --model glm, "
                 "negative_binomial or bayesian_glm; log(exposure) is the offset.")] = None,
        weights: Weights = None,
        features: Features = None, drop: Drop = None, drop_missing: DropMissing = False,
        n_samples: NSamples = None, seed: Seed = 0,
        settings: Annotated[list[str] | None, typer.Option(
            "--set", help="A model parameter, KEY=VALUE (repeatable), e.g. --set "
                          "hidden_layer_sizes=64,64 --set max_iter=500.")] = None,
        quiet: Quiet = False) -> None:
    """Fit one model on all rows, print its summary, optionally save it as a model file."""
    STATE["quiet"] = quiet
    import warnings

    import pandas as pd

    from reglab._settings import apply_settings, parse_settings

    try:
        wanted = parse_settings(settings)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if (x_err or y_err) and model not in ERROR_MODELS:
        raise UserError(f"--x-err / --y-err apply to --model {either(ERROR_MODELS)}")
    if exposure and model not in EXPOSURE_MODELS:
        raise UserError(f"--exposure applies to --model {either(EXPOSURE_MODELS)}")
    xe, ye = error_columns(data, target, x_err, y_err) if model in ERROR_MODELS else ([], None)
    df, prepared = load_prepared(data, target, task, formula, drop_missing, n_samples, seed,
                                 err_cols=side_columns(xe, ye, exposure, weights) or None,
                                 features=split_list(features), drop=split_list(drop))
    errors = measurement_errors(df, prepared, xe, ye) or {}
    if exposure:
        errors["exposure"] = exposure_values(df, exposure, prepared.frame.index)
    est = build_model(model, family, link, prepared.task, seed, prepared.target)
    if model in ERROR_MODELS:
        bayes_cache()
    if weights:
        if weight_key(est) is None:
            raise UserError(f"--weights: --model {model} takes no row weights")
        errors["sample_weight"] = weight_values(df, weights, prepared.frame.index)
    try:
        apply_settings(est, wanted)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    X = named_frame(prepared)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, prepared.y, **errors)
    for w in caught:
        note(f"warning: {w.message}")
    text = describe(est, schema=prepared.schema)
    out.print(text, markup=False)
    if save is not None:
        path = save_with_meta(est, save, prepared, model, text, data, exposure, weights)
        out.print(f"model saved to {path}")
    if report is not None:
        from reglab.viz.fit_report import write_fit_report

        expo = None if not exposure else pd.Series(errors["exposure"], name=exposure)
        path = write_fit_report(est, prepared, report, model_name(model, est), source=data,
                                exposure=expo, weights=errors.get("sample_weight"))
        out.print(f"report written to {path}")


@app.command()
def predict(model_file: Annotated[Path, typer.Argument(help="A .reglab model file.")],
            data: Annotated[str, typer.Argument(help="CSV/Parquet file or builtin:NAME.")],
            output: Annotated[Path | None, typer.Option("--output", "-o",
                                                        help="CSV to write (else stdout).")]
            = None,
            skip_missing: Annotated[bool, typer.Option(
                "--skip-missing", help="Rows with a missing feature value get empty predictions "
                                       "(else: error).")] = False,
            interval: Annotated[str | None, typer.Option(
                help="Add <target>_lower and _upper columns: 'confidence' (of the mean) or "
                     "'prediction' (of a new observation).")] = None,
            level: Annotated[float | None, typer.Option(
                help="Level of --interval (default 0.95).")] = None,
            quiet: Quiet = False) -> None:
    """Predict with a saved model on new rows (same columns as in training)."""
    STATE["quiet"] = quiet
    import numpy as np
    import pandas as pd

    from reglab.data import encode, load_data
    from reglab.io import load_model

    mf = load_model(model_file)
    schema = mf.meta.get("schema")
    if not schema:
        raise UserError(f"{model_file} has no data schema (not written by 'reglab fit')")
    df = load_data(data)
    expo_col = mf.meta.get("exposure")
    keep = complete_rows(df, schema, skip_missing, (expo_col,) if expo_col else ())
    X, names = encode(df[keep], schema)
    Xn = pd.DataFrame(X, columns=names)
    extra = {}
    if mf.meta.get("exposure"):  # fitted with --exposure: the new rows need theirs
        extra["exposure"] = exposure_values(df, mf.meta["exposure"], df.index[keep])
    res, sep, decimal = verbatim_rows(data, df)
    if level is not None and not interval:
        raise UserError("--level sets the level of --interval; give --interval too")
    if interval and schema["classes"]:
        raise UserError("--interval applies to regression targets; the class probabilities "
                        "are the classifier's uncertainty")
    if schema["classes"]:
        if hasattr(mf.model, "predict_proba"):
            proba = np.asarray(mf.model.predict_proba(Xn), float)
        else:  # a binomial GLM predicts the mean, P(second class)
            mu = np.asarray(mf.model.predict(Xn), float)
            proba = np.column_stack([1 - mu, mu])
        labels = np.full(len(df), None, dtype=object)
        labels[keep] = [schema["classes"][k] for k in proba.argmax(1)]
        res[f"{schema['target']}_predicted"] = labels
        for k, c in enumerate(schema["classes"]):
            res[f"prob_{c}"] = spread(proba[:, k], keep)
    else:
        res[f"{schema['target']}_predicted"] = spread(
            np.asarray(mf.model.predict(Xn, **extra), float), keep)
        if interval:
            lower, upper = interval_bounds(mf.model, Xn, interval,
                                           0.95 if level is None else level, extra,
                                           mf.meta.get("model"))
            res[f"{schema['target']}_lower"] = spread(np.asarray(lower, float), keep)
            res[f"{schema['target']}_upper"] = spread(np.asarray(upper, float), keep)
    if output is None:
        sys.stdout.write(res.to_csv(index=False, sep=sep, decimal=decimal))
        return
    res.to_csv(output, index=False, sep=sep, decimal=decimal)
    out.print(f"{len(res)} predictions written to {output}")


@app.command()
def summary(model_file: Annotated[Path, typer.Argument(help="A .reglab model file.")]) -> None:
    """Print what a model file holds: model, data schema and the model summary."""
    from reglab.io import load_model

    mf = load_model(model_file)
    meta, schema = mf.meta, mf.meta.get("schema") or {}
    out.print(f"model file {model_file}: kind '{mf.kind}', format version {mf.version}, "
              f"saved {meta.get('created', '?')} by reglab {meta.get('reglab_version', '?')}")
    if schema:
        out.print(f"target '{schema['target']}' ({schema['task']}); features: "
                  + ", ".join(schema.get("feature_names") or []), markup=False)
    if meta.get("exposure"):
        out.print(f"exposure column: {meta['exposure']} (the model is for the rate per unit of "
                  "it; predict needs it too)", markup=False)
    if meta.get("compare"):
        out.print(f"the best model of reglab compare: {meta.get('model')} ({meta['compare']})",
                  markup=False)
    if meta.get("weights"):
        out.print(f"weights column: {meta['weights']} (fitted with these row weights)",
                  markup=False)
    text = meta.get("summary") or describe(mf.model)  # as written at save
    key = class_key(schema)
    if key and key not in text:  # a file written before the key was part of the summary
        text = f"{text}\n{key}"
    out.print(text, markup=False)


@app.command()
def anova(model_files: Annotated[list[Path], typer.Argument(help="Two or more .reglab files.")],
          test: Annotated[str, typer.Option(help="default (Chisq for fixed dispersion, F "
                                            "otherwise), F, Chisq, LRT or none")] = "default"
          ) -> None:
    """Compare nested saved models of one target (R's anova(m1, m2, ...)): linear, GLM, NB."""
    from reglab._cli_models import anova_text

    out.print(anova_text([str(f) for f in model_files], test), markup=False)


@app.command()
def datasets() -> None:
    """List the built-in data sets (use them as builtin:NAME)."""
    from reglab.data import DATASETS

    t = Table(title="Built-in data sets", title_justify="left")
    for c in ("name", "target", "task"):  # whole words; the description takes the rest
        t.add_column(c, no_wrap=True)
    t.add_column("description", overflow="fold")
    for d in DATASETS.values():
        t.add_row(f"builtin:{d.name}", d.target, d.task,
                  f"{d.description} ({'synthetic' if d.synthetic else 'packaged'})")
    out.print(t)


@app.command()
def demo(output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")]
         = Path("reglab-report"),
         quick: Annotated[bool, typer.Option(help="Smaller data and fewer iterations.")] = False,
         quiet: Quiet = False) -> None:
    """The lecture's tour on built-in data: worked examples, plots and the HTML report."""
    STATE["quiet"] = quiet
    from reglab.viz.worked import worked_examples

    out.print("[bold]Worked examples of the lecture, recomputed with reglab.core[/bold]")
    for name, ours, lecture, comment in worked_examples():
        out.print(f"  {name}: reglab {ours}  (lecture {lecture})", markup=False)
        out.print(f"      {comment}", style="dim", markup=False)
    from reglab.viz.tour import run_tour

    path = run_tour(output, quick=quick, progress=not quiet, log=note)
    out.print(f"report written to {path}")


def _run(argv: list[str]) -> int:
    # Click's standalone mode prints usage errors (exit 2) and help (exit 0) and exits; any
    # other exception propagates to main(), which prints it as one line.
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="reglab", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


register_playground(app)  # `reglab playground`: needs the playground extra only when run


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``reglab`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(argv)
    except (UserError, ValueError, KeyError, OSError) as exc:
        if os.environ.get("REGLAB_DEBUG"):
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        err.print(f"error: {msg}", markup=False)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        if os.environ.get("REGLAB_DEBUG"):
            raise
        err.print(f"internal error ({type(exc).__name__}): {exc}; rerun with REGLAB_DEBUG=1 "
                  "for a traceback", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
