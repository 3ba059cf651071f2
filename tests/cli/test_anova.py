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
        "error: anova: anova compares two or more fitted models; got 1 (the sequential table "
        "of one model is not implemented)")
    code, _, err = run("anova", tmp_path / "a.reglab", tmp_path / "f.reglab")
    assert code == 1 and "model 2 is a RandomForestRegressor" in err
    code, _, err = run("anova", tmp_path / "a.reglab", tmp_path / "a.reglab", "--test", "t")
    assert code == 1 and err.strip() == (
        "error: --test must be one of default, F, Chisq, LRT, none, got 't'")
