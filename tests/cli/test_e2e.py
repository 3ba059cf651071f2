"""End-to-end: ``reglab compare`` ranks sensibly on real and synthetic data; fit -> save ->
summary -> predict round trip checked against statsmodels."""

import numpy as np
import pandas as pd
import pytest

from reglab.compare import compare
from reglab.data import load_dataset, prepare


def _board(report_dir):
    """The leaderboard's model column, best first, from the CSV the CLI writes."""
    return pd.read_csv(report_dir / "leaderboard.csv")["model"].tolist()


def _cv(name, models, folds=3, n=None, **kw):
    from reglab.data import DATASETS

    info = DATASETS[name]
    data = prepare(load_dataset(name, n_samples=n), info.target, task=info.task,
                   exclude=[*info.x_err, *([info.y_err] if info.y_err else [])])
    board = compare(data, folds=folds, models=models, fast=True, **kw).leaderboard
    return board.set_index("model")


def test_counts_glm_beats_gaussian_linear_via_csv(tmp_path, run):
    path = tmp_path / "gc.csv"
    load_dataset("globular", n_samples=150).to_csv(path, index=False)
    code, out, err = run("compare", path, "--target", "N_GC", "--x-err", "M_V_err",
                         "--models", "linear,poisson,negative", "--folds", "3", "--fast",
                         "-o", tmp_path / "rep")
    assert code == 0, err
    assert "task: counts (detected" in out
    order = _board(tmp_path / "rep")
    assert order.index("Poisson GLM") < order.index("linear")
    assert order[0] == "negative binomial GLM"  # the data are NB2 with k = 1.2
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "Leaderboard" in html and html.count("data:image/png;base64,") >= 4
    # the NB GLM's residuals with its own variance, least squares' raw (its own assumption)
    assert ("as Pearson residuals (y - mu) / sqrt(V(mu)) with the negative binomial variance "
            "mu + alpha mu^2") in html
    assert "linear, raw residuals (the model assumes a constant variance" in html


def test_gam_beats_linear_on_nonlinear_surface():
    board = _cv("surface", ["linear", "gam"], n=300)
    assert board.loc["GAM", "RMSE"] < 0.8 * board.loc["linear", "RMSE"]
    assert board.index[0] == "GAM"


def test_line_linear_recovers_noise_level():
    board = _cv("line", ["linear", "polynomial"], n=200)
    assert abs(board.loc["linear", "RMSE"] - 1.0) < 0.15  # truth: sigma = 1
    # AIC prefers the true (linear) model over the quadratic one here
    assert board.loc["linear", "AIC"] < board.loc["polynomial (degree 2)", "AIC"]


@pytest.mark.parametrize(("name", "good", "bad"), [
    ("circle", "polynomial logistic (degree 2)", "logistic regression"),
    ("xor", "polynomial logistic (degree 2)", "logistic regression"),
    ("spiral", "random forest", "logistic regression"),
    ("moons", "random forest", "logistic regression"),
])
def test_nonlinear_boundaries_beat_linear_logistic(name, good, bad):
    board = _cv(name, [good.split()[0], bad.split()[0]], n=160)
    assert board.loc[good, "log-loss"] < board.loc[bad, "log-loss"]
    assert board.loc[good, "accuracy"] > 0.85


def test_blobs_softmax_is_accurate():
    board = _cv("blobs", ["softmax"], n=150)
    assert board.loc["softmax regression", "accuracy"] > 0.85


def test_msigma_linear_fit_runs():
    board = _cv("msigma", ["linear"])
    assert board.loc["linear", "R2"] > 0.5


def test_real_dataset_diabetes_linear_beats_forest(run, tmp_path):
    code, out, err = run("compare", "builtin:diabetes", "--models", "linear,random",
                         "--folds", "3", "--fast", "-q", "--no-report", "-o", tmp_path)
    assert code == 0, err
    assert _board(tmp_path) == ["linear", "random forest"]  # a classic: 442 rows, additive signal


def test_fit_save_summary_predict_round_trip(tmp_path, run):
    import statsmodels.api as sm

    df = load_dataset("globular", n_samples=120, seed=3)[["M_V", "N_GC"]]
    df.to_csv(tmp_path / "train.csv", index=False)
    code, out, err = run("fit", tmp_path / "train.csv", "--target", "N_GC", "--model", "glm",
                         "--family", "poisson", "--save", tmp_path / "m.reglab")
    assert code == 0, err
    assert "model saved to" in out
    code, out, err = run("summary", tmp_path / "m.reglab")
    assert code == 0 and "kind 'glm'" in out and "M_V" in out
    new = pd.DataFrame({"M_V": [-25.0, -18.0, -11.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run("predict", tmp_path / "m.reglab", tmp_path / "new.csv", "-o",
                         tmp_path / "pred.csv")
    assert code == 0, err
    pred = pd.read_csv(tmp_path / "pred.csv")["N_GC_predicted"].to_numpy()
    ref = sm.GLM(df["N_GC"], sm.add_constant(df[["M_V"]]), family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(pred, ref.predict(sm.add_constant(new)), rtol=1e-6)


def test_classifier_predict_writes_labels_and_probabilities(tmp_path, run):
    load_dataset("spector").to_csv(tmp_path / "s.csv", index=False)
    code, _, err = run("fit", tmp_path / "s.csv", "--target", "GRADE", "--model", "glm",
                       "--family", "binomial", "--save", tmp_path / "s.reglab", "-q")
    assert code == 0, err
    code, out, err = run("predict", tmp_path / "s.reglab", tmp_path / "s.csv")
    assert code == 0, err
    assert "GRADE_predicted" in out.splitlines()[0]
    # the summaries say which label each class code is (the models see the codes 0..K-1)
    df = pd.DataFrame({"x": np.arange(12.0), "pet": ["dog", "cat", "fish"] * 4,
                       "ok": ["yes", "no"] * 6})
    df.to_csv(tmp_path / "pets.csv", index=False)
    code, out, err = run("fit", tmp_path / "pets.csv", "-t", "ok", "--drop", "pet", "--model",
                         "logistic", "--save", tmp_path / "ok.reglab", "-q")
    assert code == 0, err
    key = ("class codes: 0 = 'no', 1 = 'yes' (a probability or log-odds in the summary is of "
           "ok = 'yes')")
    assert out.splitlines()[-2] == key  # under the summary, above "model saved to"
    code, out, err = run("summary", tmp_path / "ok.reglab")
    assert out.rstrip().endswith(key)
    code, out, err = run("fit", tmp_path / "pets.csv", "-t", "pet", "--drop", "ok", "--model",
                         "softmax", "-q")
    assert code == 0, err
    assert out.rstrip().endswith("class codes: 0 = 'cat', 1 = 'dog', 2 = 'fish' (the summary's "
                                 "numbered classes; an unpenalised softmax model's coefficients "
                                 "are against the baseline 'cat')")


def test_builtin_error_columns_are_not_features_and_nb_recovers_alpha(tmp_path, run):
    code, out, err = run("fit", "builtin:globular", "--model", "negative_binomial",
                         "--save", tmp_path / "nb.reglab", "-q")
    assert code == 0, err
    code, out, err = run("summary", tmp_path / "nb.reglab")
    assert "features: M_V\n" in out and "M_V_err" not in out
    from reglab.io import load_model

    alpha = load_model(tmp_path / "nb.reglab").model.alpha_nb_
    assert abs(alpha - 1 / 1.2) < 0.25  # truth k = 1.2; 200 rows: SE of alpha ~ 0.1


def test_forest_fit_save_predict_round_trip(tmp_path, run):
    load_dataset("spector").to_csv(tmp_path / "s.csv", index=False)
    code, out, err = run("fit", tmp_path / "s.csv", "--target", "GRADE", "--model", "forest",
                         "--save", tmp_path / "rf.reglab")
    assert code == 0, err
    assert "Random forest (classification): 100 trees" in out and "out-of-bag accuracy" in out
    code, out, err = run("predict", tmp_path / "rf.reglab", tmp_path / "s.csv")
    assert code == 0, err
    from io import StringIO

    from reglab.io import load_model

    pred = pd.read_csv(StringIO(out))
    model = load_model(tmp_path / "rf.reglab").model
    X = load_dataset("spector")[["GPA", "TUCE", "PSI"]]
    np.testing.assert_array_equal(pred["GRADE_predicted"], model.predict(X))
    assert {"prob_0.0", "prob_1.0"} <= set(pred.columns)  # GRADE is stored as 0.0 / 1.0


def test_predict_with_missing_feature_values(tmp_path, run):
    df = load_dataset("globular", n_samples=120, seed=3)[["M_V", "N_GC"]]
    df.to_csv(tmp_path / "train.csv", index=False)
    code, _, err = run("fit", tmp_path / "train.csv", "--target", "N_GC", "--model", "glm",
                       "--family", "poisson", "--save", tmp_path / "m.reglab", "-q")
    assert code == 0, err
    pd.DataFrame({"M_V": [-25.0, np.nan, -11.0, np.nan]}).to_csv(tmp_path / "new.csv",
                                                                  index=False)
    code, _, err = run("predict", tmp_path / "m.reglab", tmp_path / "new.csv")
    assert code == 1
    assert err.strip() == ("error: column 'M_V' has a missing value in row 1, line 3 (2 of 4 "
                           "rows have one); pass --skip-missing to leave such rows without a "
                           "prediction")
    code, out, err = run("predict", tmp_path / "m.reglab", tmp_path / "new.csv",
                         "--skip-missing", "-o", tmp_path / "p.csv")
    assert code == 0, err
    assert "2 of 4 rows have a missing feature value" in out
    got = pd.read_csv(tmp_path / "p.csv")
    assert len(got) == 4 and got["N_GC_predicted"].isna().tolist() == [False, True, False, True]
    from reglab.io import load_model

    ref = load_model(tmp_path / "m.reglab").model.predict(pd.DataFrame({"M_V": [-25.0, -11.0]}))
    np.testing.assert_allclose(got["N_GC_predicted"].dropna().to_numpy(), ref, rtol=1e-12)
    pd.DataFrame({"M_V": [np.nan]}).to_csv(tmp_path / "none.csv", index=False)
    code, _, err = run("predict", tmp_path / "m.reglab", tmp_path / "none.csv", "--skip-missing")
    assert code == 1 and "every row has a missing feature value" in err


def test_predict_copies_the_input_cells_verbatim_in_the_files_own_convention(tmp_path, run):
    """The columns predict passes through keep their text (IDs with leading zeros, TRUE, a
    missing cell), and a ';' file with decimal commas comes back as one: an analyst joins the
    predictions back on the ID. The predictions themselves are the model's (1e-12)."""
    (tmp_path / "eu.csv").write_text("id;flag;x;y\n007;TRUE;1,5;2,25\n008;FALSE;2,5;3,5\n"
                                     "009;TRUE;3,5;5,1\n010;;4,5;6,0\n")
    code, _, err = run("fit", tmp_path / "eu.csv", "-t", "y", "--features", "x", "--model",
                       "linear", "--save", tmp_path / "m.reglab", "-q")
    assert code == 0, err
    code, out, err = run("predict", tmp_path / "m.reglab", tmp_path / "eu.csv", "--interval",
                         "confidence", "-o", tmp_path / "p.csv")
    assert code == 0, err
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "id;flag;x;y;y_predicted;y_lower;y_upper"
    assert [ln.split(";")[:4] for ln in lines[1:]] == [
        ["007", "TRUE", "1,5", "2,25"], ["008", "FALSE", "2,5", "3,5"],
        ["009", "TRUE", "3,5", "5,1"], ["010", "", "4,5", "6,0"]]
    got = pd.read_csv(tmp_path / "p.csv", sep=";", decimal=",", dtype={"id": str})
    from reglab.io import load_model

    ref = load_model(tmp_path / "m.reglab").model.predict(pd.DataFrame({"x": [1.5, 2.5, 3.5,
                                                                            4.5]}))
    np.testing.assert_allclose(got["y_predicted"], ref, rtol=1e-12)
    assert (got["y_lower"] < got["y_predicted"]).all() and got["id"].tolist()[0] == "007"
    # any suffix read as text is copied as text (a .dat instrument file too)
    (tmp_path / "eu.dat").write_text((tmp_path / "eu.csv").read_text())
    code, out, err = run("predict", tmp_path / "m.reglab", tmp_path / "eu.dat")
    assert code == 0, err
    assert out.splitlines()[1].startswith("007;TRUE;1,5;2,25;")


def test_classifier_predict_skip_missing_leaves_labels_empty(tmp_path, run):
    d = load_dataset("spector")
    d.to_csv(tmp_path / "s.csv", index=False)
    code, _, err = run("fit", tmp_path / "s.csv", "--target", "GRADE", "--model", "logistic",
                       "--save", tmp_path / "s.reglab", "-q")
    assert code == 0, err
    d.loc[[2, 5], d.columns[0]] = np.nan
    d.to_csv(tmp_path / "holes.csv", index=False)
    code, out, err = run("predict", tmp_path / "s.reglab", tmp_path / "holes.csv",
                         "--skip-missing", "-q", "-o", tmp_path / "p.csv")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "p.csv")
    empty = got["GRADE_predicted"].isna()
    assert empty.tolist() == [i in (2, 5) for i in range(len(d))]
    assert got.loc[empty, [c for c in got.columns if c.startswith("prob_")]].isna().all().all()


def test_datasets_lists_every_builtin_set_with_its_target_and_task(run):
    from reglab.data import DATASETS

    code, out, err = run("datasets")
    assert code == 0, err
    lines = out.splitlines()
    for d in DATASETS.values():
        # name, target and task are never broken over lines (the description wraps instead)
        row = next(line for line in lines if f" builtin:{d.name} " in line)
        assert f" {d.target} " in row and f" {d.task} " in row


def test_fit_errors_in_variables_from_a_csv_save_and_predict(tmp_path, run):
    pytest.importorskip("numpyro")
    rng = np.random.default_rng(5)
    n = 40
    sig = rng.uniform(1.9, 2.5, n)
    sx, sy = rng.uniform(0.02, 0.08, n), rng.uniform(0.1, 0.3, n)
    logm = 8.3 + 4.5 * (sig - 2.3) + rng.normal(0, 0.3, n)
    pd.DataFrame({"galaxy": [f"N{i}" for i in range(n)], "log_sigma": sig + rng.normal(0, sx),
                  "e_log_sigma": sx, "logM": logm + rng.normal(0, sy), "e_logM": sy}
                 ).to_csv(tmp_path / "m.csv", index=False)
    code, out, err = run("fit", tmp_path / "m.csv", "--target", "logM", "--model", "eiv",
                         "--x-err", "e_log_sigma", "--y-err", "e_logM", "--drop", "galaxy",
                         "--set", "num_chains=1", "--save", tmp_path / "eiv.reglab", "-q")
    assert code == 0, err
    assert "1 feature\n" in out  # the error columns are not features
    from reglab.io import load_model

    model = load_model(tmp_path / "eiv.reglab").model
    assert abs(model.coef_[0] - 4.5) < 3 * float(model.summary().loc["log_sigma", "sd"])
    code, out, err = run("predict", tmp_path / "eiv.reglab", tmp_path / "m.csv")
    assert code == 0 and "logM_predicted" in out.splitlines()[0]


def test_fit_bayesian_nb_on_builtin_counts_fills_in_the_error_columns(tmp_path, run):
    pytest.importorskip("numpyro")
    code, out, err = run("fit", "builtin:globular", "--n-samples", "80", "--model",
                         "bayesian_glm", "--set", "num_chains=1", "--set", "num_samples=200",
                         "--set", "num_warmup=200", "--save", tmp_path / "b.reglab", "-q")
    assert code == 0, err
    assert "dispersion" in out and "M_V_err" not in out
    from reglab.io import load_model

    model = load_model(tmp_path / "b.reglab").model
    assert model.family == "negative_binomial" and model.latent_x_.shape == (80, 1)


@pytest.mark.parametrize(("args", "message"), [
    (["builtin:globular", "--model", "glm", "--x-err", "M_V_err"],
     "--x-err / --y-err apply to --model eiv or bayesian_glm"),
    (["builtin:blobs", "--model", "bayesian_glm"],
     "--model bayesian_glm does not fit a multiclass target ('label'); for multiclass use "
     "softmax, mlp or forest (or --task to override the detected task)"),
    (["builtin:blobs", "--model", "glm"], "--model glm does not fit a multiclass target"),
    (["builtin:globular", "--model", "logistic"],
     "--model logistic does not fit a counts target ('N_GC'); for counts use linear, glm, "
     "negative_binomial, gam, mlp, forest or bayesian_glm (or --task"),
    (["builtin:line", "--model", "negative_binomial"],
     "--model negative_binomial does not fit a continuous target"),
    (["builtin:line", "--model", "forest", "--family", "poisson"],
     "--family applies to --model glm, gam or bayesian_glm only"),
])
def test_fit_refuses_options_and_targets_a_model_cannot_take(run, args, message):
    code, _, err = run("fit", *args, "-q")
    assert code == 1 and err.strip().startswith(f"error: {message}"), err


def _claims_csv(path, *, seed, n, years, b0, b1):
    """Claims over 0.2-``years`` years at risk: Poisson with log rate ``b0 + b1 age``."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.uniform(20, 70, n), "years": rng.uniform(0.2, years, n)})
    df["claims"] = rng.poisson(df.years * np.exp(b0 + b1 * df.age))
    df.to_csv(path, index=False)
    return df


def test_fit_with_exposure_matches_statsmodels_and_predict_uses_it(tmp_path, run):
    import statsmodels.api as sm

    df = _claims_csv(tmp_path / "c.csv", seed=8, n=300, years=5.0, b0=-2.0, b1=0.02)
    code, out, err = run("fit", tmp_path / "c.csv", "--target", "claims", "--model", "glm",
                         "--exposure", "years", "--save", tmp_path / "m.reglab", "-q")
    assert code == 0, err
    assert "1 feature\n" in out  # the exposure column is not a feature
    ref = sm.GLM(df.claims, sm.add_constant(df[["age"]]), family=sm.families.Poisson(),
                 exposure=df.years).fit()
    from reglab.io import load_model

    model = load_model(tmp_path / "m.reglab").model
    np.testing.assert_allclose(model.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-8)
    code, out, _ = run("summary", tmp_path / "m.reglab")
    assert "exposure column: years" in out
    new = pd.DataFrame({"age": [30.0, 60.0], "years": [1.0, 4.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run("predict", tmp_path / "m.reglab", tmp_path / "new.csv", "-o",
                       tmp_path / "p.csv")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "p.csv")["claims_predicted"].to_numpy()
    np.testing.assert_allclose(got, ref.predict(sm.add_constant(new[["age"]]),
                                                exposure=new.years), rtol=1e-8)
    new[["age"]].to_csv(tmp_path / "no_exposure.csv", index=False)
    code, _, err = run("predict", tmp_path / "m.reglab", tmp_path / "no_exposure.csv")
    assert code == 1 and "exposure column 'years' not found" in err
    df.loc[7, "years"] = 0.0
    df.to_csv(tmp_path / "zero.csv", index=False)
    code, _, err = run("fit", tmp_path / "zero.csv", "--target", "claims", "--model", "glm",
                       "--exposure", "years", "-q")
    assert code == 1 and err.strip() == ("error: exposure column 'years' has 0 in row 7 (line 9): "
                                         "exposures are finite and > 0")
    code, _, err = run("fit", tmp_path / "c.csv", "--target", "claims", "--model", "forest",
                       "--exposure", "years", "-q")
    assert code == 1 and "--exposure applies to --model glm, negative_binomial or bayesian_glm" \
        in err


def test_compare_with_exposure_from_a_csv(tmp_path, run):
    """``compare --exposure``: the column is no feature, the note says how it is used, the
    leaderboard ranks the GLMs' held-out deviance near the Poisson noise floor; refused for a
    continuous target and for a column that is not there."""
    _claims_csv(tmp_path / "c.csv", seed=3, n=200, years=8.0, b0=-2.0, b1=0.03)
    code, out, err = run("compare", tmp_path / "c.csv", "-t", "claims", "--exposure", "years",
                         "--fast", "--folds", "3", "--models", "poisson,linear",
                         "-o", tmp_path / "rep", "--no-report")
    assert code == 0, err
    task = next(line for line in out.splitlines() if line.startswith("task:"))
    assert task.endswith("200 rows, 1 feature"), task  # the exposure is not a feature
    assert "note: exposure 'years': the GLMs take log(years) as an offset" in out
    board = pd.read_csv(tmp_path / "rep" / "leaderboard.csv").set_index("model")
    # held-out deviance of the true model's form is near 1 per row for Poisson data this size
    # (the weighted linear rate model scores alike here); the offset GLM has an AIC, the rate
    # model none (its least-squares likelihood is not the counts')
    assert 0.6 < board.loc["Poisson GLM", "Poisson deviance"] < 1.4
    assert np.isfinite(board.loc["Poisson GLM", "AIC"]) and np.isnan(board.loc["linear", "AIC"])
    code, _, err = run("compare", tmp_path / "c.csv", "-t", "age", "--exposure", "years", "-q")
    assert code == 1 and err.strip() == ("error: --exposure applies to count targets; 'age' is "
                                         "positive (--task counts if it holds counts)")
    code, _, err = run("compare", tmp_path / "c.csv", "-t", "claims", "--exposure", "time", "-q")
    assert code == 1 and "exposure column 'time' not found; columns are: age, years, claims" \
        in err


def test_fit_bayesian_glm_with_exposure_predicts_counts_over_new_exposures(tmp_path, run):
    pytest.importorskip("numpyro")
    import statsmodels.api as sm

    df = _claims_csv(tmp_path / "c.csv", seed=9, n=150, years=5.0, b0=-1.0, b1=0.02)
    code, out, err = run("fit", tmp_path / "c.csv", "-t", "claims", "--model", "bayesian_glm",
                         "--family", "poisson", "--exposure", "years", "--set", "num_chains=1",
                         "--set", "num_samples=300", "--set", "num_warmup=300",
                         "--save", tmp_path / "b.reglab", "-q")
    assert code == 0, err
    pd.DataFrame({"age": [30.0, 60.0], "years": [1.0, 4.0]}).to_csv(tmp_path / "new.csv",
                                                                    index=False)
    code, _, err = run("predict", tmp_path / "b.reglab", tmp_path / "new.csv", "-o",
                       tmp_path / "p.csv")
    assert code == 0, err
    got = pd.read_csv(tmp_path / "p.csv")["claims_predicted"].to_numpy()
    ref = sm.GLM(df.claims, sm.add_constant(df[["age"]]), family=sm.families.Poisson(),
                 exposure=df.years).fit()
    want = ref.predict(sm.add_constant(pd.DataFrame({"age": [30.0, 60.0]})),
                       exposure=[1.0, 4.0])
    # posterior mean vs MLE of a mean count: within 5% (the standard error is ~4-6% here)
    np.testing.assert_allclose(got, want, rtol=0.05)
    bands = {}
    for kind in ("confidence", "prediction"):
        code, _, err = run("predict", tmp_path / "b.reglab", tmp_path / "new.csv", "-o",
                           tmp_path / f"{kind}.csv", "--interval", kind, "--level", "0.9")
        assert code == 0, err
        bands[kind] = pd.read_csv(tmp_path / f"{kind}.csv")
    conf, pred = bands["confidence"], bands["prediction"]
    assert np.all((conf.claims_lower < got) & (got < conf.claims_upper))
    # the credible band of the mean is the Wald band's width within 25%; counts over 4 years
    # spread far wider than their mean's uncertainty, and are whole numbers
    ci = ref.get_prediction(sm.add_constant(pd.DataFrame({"age": [30.0, 60.0]})),
                            exposure=[1.0, 4.0]).summary_frame(alpha=0.1)
    np.testing.assert_allclose(conf.claims_upper - conf.claims_lower,
                               ci.mean_ci_upper - ci.mean_ci_lower, rtol=0.25)
    assert np.all(pred.claims_upper - pred.claims_lower > 2 * (conf.claims_upper
                                                               - conf.claims_lower))
    for bound in (pred.claims_lower, pred.claims_upper):  # quantiles that are draws
        assert np.all(bound == np.round(bound))


def test_fit_report_writes_one_models_report(tmp_path, run):
    code, out, err = run("fit", "builtin:globular", "--n-samples", "120", "--model",
                         "negative_binomial", "--report", tmp_path / "rep", "-q")
    assert code == 0, err
    assert f"report written to {tmp_path / 'rep' / 'index.html'}" in out
    html = (tmp_path / "rep" / "index.html").read_text()
    assert "negative_binomial (log link) for counts target" in html
    assert "negative binomial variance mu + alpha mu^2, alpha = " in html  # its own variance
    assert "Model summary" in html and "Leaderboard" not in html


def test_predict_intervals_match_statsmodels(tmp_path, run):
    """``predict --interval``: the linear model's prediction and confidence bands are
    statsmodels' OLS ``get_prediction`` bands (1e-8), the Poisson GLM's confidence band (over
    new exposures) statsmodels' GLM band (1e-7)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(12)
    n = 80
    df = pd.DataFrame({"x": rng.uniform(0, 10, n), "years": rng.uniform(0.5, 3.0, n)})
    df["y"] = 1.0 + 0.5 * df.x + rng.normal(size=n)
    df["claims"] = rng.poisson(df.years * np.exp(0.1 + 0.1 * df.x))
    df.to_csv(tmp_path / "d.csv", index=False)
    new = pd.DataFrame({"x": [0.0, 5.0, 12.0], "years": [1.0, 2.0, 0.5]})
    new.to_csv(tmp_path / "new.csv", index=False)
    Xnew = sm.add_constant(new[["x"]], has_constant="add")

    def band(model_file, kind, target):
        code, _, err = run("predict", model_file, tmp_path / "new.csv", "--interval", kind,
                           "--level", "0.9", "-o", tmp_path / "p.csv")
        assert code == 0, err
        got = pd.read_csv(tmp_path / "p.csv")
        return got[f"{target}_lower"].to_numpy(), got[f"{target}_upper"].to_numpy()

    code, _, err = run("fit", tmp_path / "d.csv", "-t", "y", "--drop", "claims,years",
                       "--model", "linear", "--save", tmp_path / "lin.reglab", "-q")
    assert code == 0, err
    ols = sm.OLS(df.y, sm.add_constant(df[["x"]])).fit().get_prediction(Xnew)
    frame = ols.summary_frame(alpha=0.1)
    lo, hi = band(tmp_path / "lin.reglab", "prediction", "y")
    np.testing.assert_allclose(lo, frame.obs_ci_lower, rtol=1e-8)
    np.testing.assert_allclose(hi, frame.obs_ci_upper, rtol=1e-8)
    lo, hi = band(tmp_path / "lin.reglab", "confidence", "y")
    np.testing.assert_allclose(lo, frame.mean_ci_lower, rtol=1e-8)
    np.testing.assert_allclose(hi, frame.mean_ci_upper, rtol=1e-8)

    code, _, err = run("fit", tmp_path / "d.csv", "-t", "claims", "--drop", "y", "--model",
                       "glm", "--exposure", "years", "--save", tmp_path / "glm.reglab", "-q")
    assert code == 0, err
    # statsmodels' default stopping leaves its covariance (weights of the previous iterate)
    # 3.5e-6 off here; converged to 1e-12 the bands agree to 1e-7
    glm = sm.GLM(df.claims, sm.add_constant(df[["x"]]), family=sm.families.Poisson(),
                 exposure=df.years).fit(tol=1e-12)
    frame = glm.get_prediction(Xnew, exposure=new.years).summary_frame(alpha=0.1)
    lo, hi = band(tmp_path / "glm.reglab", "confidence", "claims")
    np.testing.assert_allclose(lo, frame.mean_ci_lower, rtol=1e-7)
    np.testing.assert_allclose(hi, frame.mean_ci_upper, rtol=1e-7)

    code, _, err = run("predict", tmp_path / "glm.reglab", tmp_path / "new.csv", "--interval",
                       "prediction")
    assert code == 1 and err.strip() == ("error: --interval prediction: prediction intervals "
                                         "need the gaussian family, not 'poisson'")
    code, _, err = run("predict", tmp_path / "lin.reglab", tmp_path / "new.csv", "--interval",
                       "confidence", "--level", "95")
    assert code == 1 and err.strip() == "error: --level must lie between 0 and 1, got 95"
    code, _, err = run("predict", tmp_path / "lin.reglab", tmp_path / "new.csv", "--interval",
                       "credible")
    assert code == 1 and "--interval must be confidence or prediction, got 'credible'" in err
    code, _, err = run("fit", tmp_path / "d.csv", "-t", "y", "--drop", "claims,years",
                       "--model", "forest", "--save", tmp_path / "rf.reglab", "-q")
    assert code == 0, err
    code, _, err = run("predict", tmp_path / "rf.reglab", tmp_path / "new.csv", "--interval",
                       "prediction")
    assert code == 1 and "has no intervals; the models with them are linear, gam" in err


def test_weights_option_on_fit_and_compare(tmp_path, run):
    """``--weights``: frequency weights 0-3 give fit the coefficients of the data with each row
    repeated that many times (1e-9), the column is no feature, the model file and summary name
    it; compare weights every rung and says so; bad weights and unweighted models are refused."""
    import statsmodels.api as sm

    df = _claims_csv(tmp_path / "c.csv", seed=11, n=150, years=4.0, b0=-1.5, b1=0.03)
    df["w"] = np.random.default_rng(11).integers(0, 4, len(df))
    df.to_csv(tmp_path / "c.csv", index=False)
    code, out, err = run("fit", tmp_path / "c.csv", "-t", "claims", "--model", "glm",
                         "--drop", "years", "--weights", "w", "--save", tmp_path / "w.reglab",
                         "--report", tmp_path / "fr", "-q")
    assert code == 0, err
    html = (tmp_path / "fr" / "index.html").read_text()  # its panels leave out the 0 weights
    assert f"the {int((df.w == 0).sum())} rows of weight 0 are left out" in html
    rep = df.loc[df.index.repeat(df.w)]
    ref = sm.GLM(rep.claims, sm.add_constant(rep[["age"]]), family=sm.families.Poisson()).fit()
    from reglab.io import load_model

    model = load_model(tmp_path / "w.reglab").model
    np.testing.assert_allclose(model.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-9)
    code, out, _ = run("summary", tmp_path / "w.reglab")
    assert "weights column: w" in out and "features: age\n" in out
    code, out, err = run("compare", tmp_path / "c.csv", "-t", "claims", "--drop", "years",
                         "--weights", "w", "--fast", "--folds", "3", "--models", "poisson,linear",
                         "-o", tmp_path / "rep", "--no-report")
    assert code == 0, err
    assert "note: weights 'w': every model is fitted and scored with them" in out
    board = pd.read_csv(tmp_path / "rep" / "leaderboard.csv")
    assert "AIC" not in board and len(board) == 2
    df.loc[5, "w"] = -2
    df.to_csv(tmp_path / "bad.csv", index=False)
    code, _, err = run("fit", tmp_path / "bad.csv", "-t", "claims", "--weights", "w", "-q")
    assert code == 1 and err.strip() == ("error: weights column 'w' has -2 in row 5 (line 7): "
                                         "weights are finite and >= 0")
    code, _, err = run("fit", tmp_path / "c.csv", "-t", "age", "--model", "eiv", "--weights",
                       "w", "-q")
    assert code == 1 and err.strip() == "error: --weights: --model eiv takes no row weights"


def test_bayesian_fits_keep_compiled_kernels_where_reglab_jax_cache_says(monkeypatch, tmp_path):
    import reglab.bayes as rb
    from reglab._cli_io import bayes_cache

    seen = []
    monkeypatch.setattr(rb, "enable_compilation_cache", lambda path=None: seen.append(path))
    monkeypatch.setenv("REGLAB_JAX_CACHE", str(tmp_path))
    bayes_cache()
    monkeypatch.setenv("REGLAB_JAX_CACHE", "0")
    bayes_cache()
    monkeypatch.delenv("REGLAB_JAX_CACHE")
    bayes_cache()
    assert seen == [str(tmp_path), None]  # None: the default, ~/.cache/reglab/jax

    def unwritable(path=None):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(rb, "enable_compilation_cache", unwritable)
    bayes_cache()  # a cache it cannot write is no reason to stop the fit


@pytest.mark.parametrize(("args", "message"), [
    (["--features", "age,years", "--exposure", "years"],
     "'years' is the --exposure column; it cannot also be a feature (in --features)"),
    (["--formula", "claims ~ age + np.log(years)", "--exposure", "years"],
     "'years' is the --exposure column; it cannot also be a feature (in --formula)"),
    (["--weights", "claims"], "'claims' is the target; it cannot also be the --weights column"),
    (["--weights", "years", "--exposure", "years"],
     "column 'years' is given to both --exposure and --weights"),
    (["--model", "forest", "--link", "log"], "--link applies to --model glm or gam only"),
])
def test_side_columns_and_options_are_refused_where_they_clash(tmp_path, run, args, message):
    _claims_csv(tmp_path / "c.csv", seed=1, n=40, years=3.0, b0=-1.0, b1=0.02)
    code, _, err = run("fit", tmp_path / "c.csv", "-t", "claims", *args, "-q")
    assert code == 1 and err.strip() == f"error: {message}"


def test_gam_link_and_level_without_interval(tmp_path, run):
    code, out, err = run("fit", "builtin:globular", "--model", "gam", "--link", "identity",
                         "--save", tmp_path / "g.reglab", "-q")
    assert code == 0 and "Link function: identity" in out, err
    pd.DataFrame({"M_V": [-20.0]}).to_csv(tmp_path / "n.csv", index=False)
    code, _, err = run("predict", tmp_path / "g.reglab", tmp_path / "n.csv", "--level", "0.9")
    assert code == 1 and err.strip() == ("error: --level sets the level of --interval; give "
                                         "--interval too")


def test_drop_missing_also_drops_rows_without_an_exposure(tmp_path, run):
    df = _claims_csv(tmp_path / "c.csv", seed=2, n=60, years=3.0, b0=-1.0, b1=0.02)
    df.loc[[3, 9], "years"] = np.nan
    df.to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run("fit", tmp_path / "c.csv", "-t", "claims", "--exposure", "years", "-q")
    assert code == 1 and err.strip() == ("error: 2 of 60 rows have missing values in columns "
                                         "years (2, first in row 3, line 5); pass "
                                         "--drop-missing to drop them")
    code, out, err = run("fit", tmp_path / "c.csv", "-t", "claims", "--exposure", "years",
                         "--drop-missing")
    assert code == 0, err
    assert "dropped 2 of 60 rows with missing values (years (2))" in out
    assert "58 rows, 1 feature" in out


def test_compare_save_best_then_predict_and_summary(tmp_path, run):
    """``compare --save-best``: the winner (here an exposure model) is written as a model file
    that ``summary`` describes and ``predict`` uses with the new rows' exposures."""
    df = _claims_csv(tmp_path / "c.csv", seed=5, n=150, years=4.0, b0=-1.0, b1=0.03)
    code, out, err = run("compare", tmp_path / "c.csv", "-t", "claims", "--exposure", "years",
                         "--models", "poisson,linear", "--folds", "3", "--fast", "--no-report",
                         "-o", tmp_path / "r", "--save-best", tmp_path / "best.reglab", "-q")
    assert code == 0, err
    assert "best model (Poisson GLM, held-out Poisson deviance " in out
    code, out, _ = run("summary", tmp_path / "best.reglab")
    assert "the best model of reglab compare: Poisson GLM (held-out Poisson deviance" in out
    assert "exposure column: years" in out and "Generalized linear model" in out
    assert "Poisson GLM (offset log(years): the model is for the rate per unit of years)" in out
    new = pd.DataFrame({"age": [30.0, 60.0], "years": [1.0, 3.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run("predict", tmp_path / "best.reglab", tmp_path / "new.csv", "-o",
                       tmp_path / "p.csv")
    assert code == 0, err
    from reglab.models.glm import GLM

    ref = GLM(family="poisson").fit(df[["age"]], df.claims, exposure=df.years)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "p.csv").claims_predicted,
                               ref.predict(new[["age"]], exposure=new.years), rtol=1e-10)
    # the saved offset model still gives the GLM's interval over the new exposures
    code, _, err = run("predict", tmp_path / "best.reglab", tmp_path / "new.csv", "-o",
                       tmp_path / "i.csv", "--interval", "confidence")
    assert code == 0, err
    band = ref.predict(new[["age"]], exposure=new.years, interval="confidence")
    got = pd.read_csv(tmp_path / "i.csv")
    np.testing.assert_allclose(got.claims_lower, band.lwr, rtol=1e-10)
    np.testing.assert_allclose(got.claims_upper, band.upr, rtol=1e-10)


def test_saved_compare_pipeline_gives_its_final_models_interval(tmp_path, run):
    """The polynomial rung (scaler, polynomial features, least squares) saved by --save-best:
    --interval reaches the final LinearRegression through the pipeline, and the summary says
    its coefficients are per standard deviation; a rate model refuses by its rung's name."""
    code, _, err = run("compare", "builtin:surface", "--n-samples", "150", "--models",
                       "polynomial", "--folds", "2", "--no-report", "-o", tmp_path / "r",
                       "--save-best", tmp_path / "p.reglab", "-q")
    assert code == 0, err
    code, out, _ = run("summary", tmp_path / "p.reglab")
    assert "polynomial (degree 2) (fitted on standardised features: each coefficient is per " \
           "standard deviation of its term)" in out
    pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.5, -1.0]}).to_csv(tmp_path / "n.csv", index=False)
    code, _, err = run("predict", tmp_path / "p.reglab", tmp_path / "n.csv", "--interval",
                       "prediction", "-o", tmp_path / "o.csv")
    assert code == 0, err
    from reglab.io import load_model

    pipe = load_model(tmp_path / "p.reglab").model
    n = pd.read_csv(tmp_path / "n.csv")
    band = pipe[-1].predict(pipe[:-1].transform(n), interval="prediction")
    got = pd.read_csv(tmp_path / "o.csv")
    np.testing.assert_allclose(got.y_lower, band.lwr, rtol=1e-12)
    np.testing.assert_allclose(got.y_upper, band.upr, rtol=1e-12)
    _claims_csv(tmp_path / "c.csv", seed=5, n=80, years=4.0, b0=-1.0, b1=0.03)
    code, _, err = run("compare", tmp_path / "c.csv", "-t", "claims", "--exposure", "years",
                       "--models", "linear", "--folds", "2", "--no-report", "-o", tmp_path / "r",
                       "--save-best", tmp_path / "l.reglab", "-q")
    assert code == 0, err
    pd.DataFrame({"age": [30.0], "years": [2.0]}).to_csv(tmp_path / "a.csv", index=False)
    code, _, err = run("predict", tmp_path / "l.reglab", tmp_path / "a.csv", "--interval",
                       "confidence")
    assert code == 1 and "the linear model has no intervals" in err
