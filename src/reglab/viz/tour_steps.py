"""The steps of ``reglab demo`` after the worked examples: each adds figures and text to a section.

Every step takes ``(report, section, quick, out_dir)``; ``quick`` shrinks data and iterations
(tests). Steps import models lazily, so a model that is not built yet raises ImportError, which
the tour turns into a note.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reglab.data import synthetic
from reglab.viz import nnplots, plots
from reglab.viz.report import Report, Section

__all__ = ["gradient_descent_line", "square_errors", "polynomial_fits", "surface_terms",
           "decision_regions", "universal_approximation", "classifier_grid", "counts",
           "errors_in_variables"]


def gradient_descent_line(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """The lecture's geometric algorithm (square trick) moving a random line onto the data."""
    from reglab.models.linear import LinearRegression
    from reglab.solvers.gradient_descent import geometric_regression

    df = synthetic.line(30, seed=1)
    n = 2000 if quick else 10_000
    res = geometric_regression(df[["x"]], df["y"], trick="square", learning_rate=0.01,
                               n_steps=n, random_state=0)
    tr = res.trajectory
    path = np.column_stack([tr.intercept, tr.coef[:, 0]])
    ls = LinearRegression().fit(df[["x"]], df["y"])
    rep.text(sec, f"Pick a random line; {n:,} times pick a random point and move the line a "
                  f"little closer (learning rate 0.01). Result: y = {res.coef[0]:.3f} x + "
                  f"{res.intercept:.3f}; least squares: y = {ls.coef_[0]:.3f} x + "
                  f"{ls.intercept_:.3f}; truth: y = 0.5 x + 2.")
    rep.figure(sec, plots.gd_snapshots(df["x"], df["y"], path,
                                       ((1, 10), (1, 50), (51, n)), unit="step"),
               f"snapshots after 1-10, 1-50 and 51-{n:,} random-point steps (the lecture's "
               "'epochs'; the trajectory's epoch column counts passes over the 30 points)")
    files = plots.gd_animation(df["x"], df["y"], path, out / "gd_line.gif",
                               n_frames=20 if quick else 40, unit="step")
    if files[0].suffix == ".gif":
        rep.image(sec, files[0].read_bytes(), "the line moving under gradient descent", "gif")
    else:
        rep.text(sec, f"animation frames written to {files[0].parent} (Pillow not installed)")
    rep.figure(sec, plots.loss_curves({"square trick": tr.loss}, ylabel="half mean squared "
                                      "error", xlabel="step"), "loss along the path")


def square_errors(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """Two lines over the same points, each residual drawn as a square."""
    from reglab.models.linear import LinearRegression

    df = synthetic.line(6, seed=4)
    x, y = df["x"].to_numpy(), df["y"].to_numpy()
    ls = LinearRegression().fit(df[["x"]], y)
    rep.text(sec, "The square error adds the areas of the squares; least squares makes it as "
                  "small as any line can.")
    rep.figure(sec, plots.square_error(x, y, {"Large square error": (6.0, -0.3),
                                              "Least squares": (ls.intercept_, ls.coef_[0])}),
               "square errors of two lines")


def polynomial_fits(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """Polynomials of growing degree approximating sin(x): the Taylor-series idea."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    from reglab.models.linear import LinearRegression

    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(-3, 3, 80))
    y = np.sin(x) + rng.normal(0, 0.15, x.size)
    grid = np.linspace(-3, 3, 200)
    curves, rows = {}, []
    for d in (1, 3, 5, 9):
        m = make_pipeline(PolynomialFeatures(d, include_bias=False), LinearRegression())
        m.fit(x[:, None], y)
        curves[f"degree {d}"] = (grid, m.predict(grid[:, None]))
        rows.append((d, float(np.sqrt(np.mean((m.predict(grid[:, None]) - np.sin(grid)) ** 2)))))
    rep.text(sec, "Least-squares polynomials of degree 1, 3, 5, 9 fitted to y = sin(x) + noise; "
                  "RMSE against the true sin(x) on [-3, 3]:")
    rep.table(sec, pd.DataFrame(rows, columns=["degree", "RMSE vs truth"]))
    rep.figure(sec, plots.fit_lines(x, y, curves, title="polynomial approximations of sin(x)"),
               "polynomial fits")


def surface_terms(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """The lecture's surface: least squares with its own basis recovers b0..b5."""
    from reglab.models.linear import LinearRegression

    df = synthetic.surface(200 if quick else 400, seed=0)
    x1, x2 = df["x1"], df["x2"]
    basis = pd.DataFrame({"x1": x1, "x2": x2, "x1^2": x1**2, "x2^2": x2**2,
                          "sin(x1^2 x2)": np.sin(x1**2 * x2)})
    m = LinearRegression().fit(basis, df["y"])
    est = np.r_[m.intercept_, m.coef_]
    se = np.asarray(m.std_errors_, float)
    rep.text(sec, "y = b0 + b1 x1 + b2 x2 + b3 x1^2 + b4 x2^2 + b5 sin(x1^2 x2) + noise: a "
                  "linear model in the right basis recovers the truth (estimate +- 2 SE).")
    rep.table(sec, pd.DataFrame({"term": ["b0", *basis.columns], "truth":
                                 synthetic.SURFACE_TRUTH["beta"], "estimate": est,
                                 "std. error": se}))


def decision_regions(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """Logistic regression (two classes) and softmax regression (three) with their regions."""
    from reglab.models.logistic import LogisticRegression, SoftmaxRegression

    moons = synthetic.moons(200, seed=0)
    blobs = synthetic.blobs(240, seed=3)
    Xm, ym = moons[["x1", "x2"]].to_numpy(), moons["label"].to_numpy()
    Xb, yb = blobs[["x1", "x2"]].to_numpy(), blobs["label"].to_numpy()
    rep.text(sec, "A logistic regression draws one straight boundary; softmax regression one "
                  "linear boundary per pair of classes (a tiny L2 penalty, alpha = 1e-3, keeps "
                  "the softmax estimate finite: the blobs are linearly separable).")
    rep.figure(sec, nnplots.decision_regions(
        {"logistic regression": LogisticRegression().fit(Xm, ym)}, Xm, ym),
        "logistic regression on moons")
    rep.figure(sec, nnplots.decision_regions(
        {"softmax regression": SoftmaxRegression(alpha=1e-3).fit(Xb, yb)}, Xb, yb),
        "softmax regression on three blobs")


def universal_approximation(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """One hidden layer of 1, 2, 3, 8 sigmoid neurons approximating a 1-D function."""
    from reglab.models.mlp import MLPRegressor

    def truth(x: np.ndarray) -> np.ndarray:
        return np.sin(1.5 * x) + 0.3 * x

    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 3, 150)
    y = truth(x) + rng.normal(0, 0.1, x.size)
    grid = np.linspace(-3, 3, 200)
    fits = {}
    for n in (1, 2, 3, 8):
        m = MLPRegressor((n,), activation="sigmoid", optimizer="lbfgs",
                         max_iter=200 if quick else 1000, random_state=0, dtype="float64",
                         verbose=False)
        fits[n] = m.fit(x[:, None], y).predict(grid[:, None])
    rep.text(sec, "f(x) = sum_h w_h sigmoid(v_h x + b_h) + b_0 with H = 1, 2, 3, 8 neurons "
                  "(L-BFGS on the squared error); more neurons bend the curve more times.")
    rep.figure(sec, nnplots.universal_approximation(x, y, truth, fits, grid),
               "universal approximation")


def classifier_grid(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """The classifier-comparison grid: data sets by models, held-out accuracy in each panel."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from reglab.models.forest import RandomForestClassifier
    from reglab.models.logistic import LogisticRegression
    from reglab.models.mlp import MLPClassifier

    n = 120 if quick else 200
    sets = {name: getattr(synthetic, name)(n, seed=0) for name in ("moons", "circle", "xor",
                                                                   "spiral")}
    data = {k: (v[["x1", "x2"]].to_numpy(), v["label"].to_numpy()) for k, v in sets.items()}

    def models() -> dict:
        return {"logistic": LogisticRegression(),
                "logistic, degree 3": make_pipeline(StandardScaler(), PolynomialFeatures(3),
                                                    LogisticRegression(alpha=1e-3)),
                "random forest": RandomForestClassifier(n_estimators=30 if quick else 100,
                                                        random_state=0),
                "MLP (16, 16) tanh": make_pipeline(StandardScaler(), MLPClassifier(
                    (16, 16), activation="tanh", optimizer="lbfgs",
                    max_iter=150 if quick else 400, random_state=0, dtype="float64",
                    verbose=False))}

    rep.text(sec, "Rows: data sets; columns: models. Shading is the predicted probability, "
                  "the number the accuracy on a held-out 30%.")
    rep.figure(sec, nnplots.classifier_grid(data, models), "classifier comparison")


def counts(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """Poisson vs negative binomial on over-dispersed globular-cluster-like counts."""
    from reglab.compare import compare
    from reglab.data import prepare

    df = synthetic.globular_clusters(150 if quick else 300, seed=0)
    data = prepare(df, "N_GC", task="counts", exclude=["M_V_err"])
    comp = compare(data, folds=3 if quick else 5, models=["linear", "poisson", "negative"],
                   fast=quick)
    rep.table(sec, comp.leaderboard.drop(columns=["note"]), highlight_first=True)
    nb = next((r for r in comp.fitted() if r.name.startswith("negative")), None)
    if nb is not None:
        alpha = nb.rung.alpha(nb.model)
        rep.text(sec, f"NB2 dispersion: alpha = {alpha:.3f} (truth 1/k = "
                      f"{1 / synthetic.GLOBULAR_TRUTH['k']:.3f}); the Poisson model assumes "
                      "alpha = 0, hence its far larger AIC.")
    grid = np.linspace(df["M_V"].min(), df["M_V"].max(), 200)
    curves = {r.name: (grid, r.model.predict(pd.DataFrame({"M_V": grid})))
              for r in comp.fitted()}
    rep.figure(sec, plots.fit_lines(df["M_V"], df["N_GC"], curves, xlabel="M_V",
                                    ylabel="N_GC"), "count fits")


def errors_in_variables(rep: Report, sec: Section, quick: bool, out: Path) -> None:
    """OLS vs the Bayesian errors-in-variables line on the M-sigma-like set."""
    if quick:
        rep.text(sec, "skipped in --quick mode (MCMC)", "note")
        return
    from reglab.bayes import ErrorsInVariablesRegression
    from reglab.models.linear import LinearRegression

    df = synthetic.msigma(60, seed=0)
    X = df[["log_sigma"]]
    eiv = ErrorsInVariablesRegression(num_warmup=500, num_samples=500, num_chains=1,
                                      random_state=0, verbose=False)
    eiv.fit(X, df["log_M"], x_err=df["log_sigma_err"].to_numpy(), y_err=df["log_M_err"])
    ols = LinearRegression().fit(X, df["log_M"])
    grid = np.linspace(df["log_sigma"].min(), df["log_sigma"].max(), 100)
    t = synthetic.MSIGMA_TRUTH
    curves = {"OLS": (grid, ols.predict(pd.DataFrame({"log_sigma": grid}))),
              "errors-in-variables": (grid, eiv.predict(pd.DataFrame({"log_sigma": grid}))),
              "truth": (grid, t["alpha"] + t["beta"] * (grid - t["pivot"]))}
    rep.text(sec, f"Slope: OLS {ols.coef_[0]:.2f} (attenuated by the x errors), "
                  f"errors-in-variables {float(np.ravel(eiv.coef_)[0]):.2f}, truth {t['beta']}.")
    rep.figure(sec, plots.fit_lines(df["log_sigma"], df["log_M"], curves,
                                    xlabel="log sigma", ylabel="log M"), "M-sigma fits")
