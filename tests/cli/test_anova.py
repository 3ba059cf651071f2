"""``reglab anova``: R's anova of saved nested models, through the model files; refusals are one
line with exit code 1."""

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from reglab.data import load_dataset


def test_anova_of_two_saved_poisson_fits_matches_statsmodels(tmp_path, run):
    df = load_dataset("globular", n_samples=120, seed=3)[["M_V", "N_GC"]]
    df.to_csv(tmp_path / "d.csv", index=False)
    for name, formula in (("m0", "N_GC ~ M_V"), ("m1", "N_GC ~ M_V + I(M_V**2)")):
        code, _, err = run("fit", tmp_path / "d.csv", "--target", "N_GC", "--model", "glm",
                           "--family", "poisson", "--formula", formula,
                           "--save", tmp_path / f"{name}.reglab")
        assert code == 0, err
    code, out, err = run("anova", tmp_path / "m0.reglab", tmp_path / "m1.reglab")
    assert code == 0, err
    X0 = sm.add_constant(df[["M_V"]])
    X1 = X0.assign(sq=df.M_V**2)
    f0 = sm.GLM(df.N_GC, X0, family=sm.families.Poisson()).fit()
    f1 = sm.GLM(df.N_GC, X1, family=sm.families.Poisson()).fit()
    dev = f0.deviance - f1.deviance
    assert out.startswith(f"files: 1 = {tmp_path / 'm0.reglab'}, 2 = {tmp_path / 'm1.reglab'}")
    assert "Analysis of Deviance Table" in out and "Pr(>Chi)" in out
    row = [line for line in out.splitlines() if line.startswith("2 ")][0].split()
    # Resid. Df, Resid. Dev, Df, Deviance as R prints them (5 significant digits)
    assert row[1] == "117" and row[3] == "1"
    np.testing.assert_allclose(float(row[4]), dev, rtol=5e-5)
    p = stats.chi2.sf(dev, 1)
    line = " ".join(row)
    if p < 2.2e-16:  # R prints "< 2e-16" below the double epsilon
        assert "< 2e-16" in line
    else:
        np.testing.assert_allclose(float(row[5]), p, rtol=5e-3)


def test_anova_refuses_one_file_and_other_model_kinds(tmp_path, run):
    df = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0) % 7})
    df.to_csv(tmp_path / "d.csv", index=False)
    run("fit", tmp_path / "d.csv", "--target", "y", "--model", "linear", "--save",
        tmp_path / "a.reglab")
    run("fit", tmp_path / "d.csv", "--target", "y", "--model", "forest", "--save",
        tmp_path / "f.reglab")
    code, _, err = run("anova", tmp_path / "a.reglab")
    assert code == 1 and err.strip() == (
        "error: anova: pass two or more model files to compare; got 1 (the sequential table of "
        "one model, R's anova(fit), needs its data: in Python, reglab.anova(model, data=df))")
    code, _, err = run("anova", tmp_path / "a.reglab", tmp_path / "f.reglab")
    assert code == 1 and "model 2 is a RandomForestRegressor" in err
    code, _, err = run("anova", tmp_path / "a.reglab", tmp_path / "a.reglab", "--test", "t")
    assert code == 1 and err.strip() == (
        "error: --test must be one of default, F, Chisq, LRT, none, got 't'")


def test_anova_of_negative_binomial_files_at_the_poisson_limit(tmp_path, run):
    """Counts that are not overdispersed: alpha by ML is 0 and the NB family_ is Poisson. The
    saved file keeps that limit (family_.alpha 0; before, load_model lost it), and anova
    gives MASS's LR table with theta Inf: the same numbers as the in-memory fits."""
    from reglab import NegativeBinomial, anova
    from reglab.io import load_model

    rng = np.random.default_rng(3)
    n = 80
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    df["c"] = rng.poisson(np.exp(0.5 + 0.3 * df.x))
    df.to_csv(tmp_path / "d.csv", index=False)
    for name, feats in (("n1", "x"), ("n2", "x,g")):
        code, _, err = run("fit", tmp_path / "d.csv", "--target", "c", "--model",
                           "negative_binomial", "--features", feats, "--save",
                           tmp_path / f"{name}.reglab", "-q")
        assert code == 0, err
    m1 = load_model(tmp_path / "n1.reglab").model
    assert m1.alpha_nb_ == 0.0 and m1.family_.alpha == 0.0
    code, out, err = run("anova", tmp_path / "n1.reglab", tmp_path / "n2.reglab")
    assert code == 0, err
    X = pd.get_dummies(df[["x", "g"]], drop_first=True, dtype=float)
    f1 = NegativeBinomial().fit(df[["x"]], df.c)
    f2 = NegativeBinomial().fit(X, df.c)
    assert f1.alpha_nb_ == 0.0 and f2.alpha_nb_ == 0.0
    assert m1.summary() == f1.summary()  # the loaded file says what the fit says
    table = anova(f1, f2)
    lr = 2 * (f2.llf_ - f1.llf_)
    np.testing.assert_allclose(table["LR stat."].iloc[1], lr, rtol=1e-10)
    assert "Inf" in out and f"{lr:.5g}"[:5] in out
