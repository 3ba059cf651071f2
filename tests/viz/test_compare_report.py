"""The compare report's partial effects, loss-curve panels and residual scales, checked through
the figures' data and the report's text (not pixels)."""

import numpy as np
import pandas as pd
import pytest

from reglab.compare import Comparison, RungResult
from reglab.data.tabular import prepare
from reglab.viz import compare_report as cr
from reglab.viz import plots
from reglab.viz._residuals import pearson_scale
from reglab.viz.report import Report


class _Additive:
    """A fitted-model stand-in: ``predict(df) = sum_c weights[c] * df[c]``."""

    def __init__(self, weights):
        self.weights = weights

    def predict(self, df):
        return sum(w * df[c].to_numpy() for c, w in self.weights.items()) + 10.0


def _shop(n=120, seed=0, extra=0):
    """Prepared data: a 3-level text column 'store' (dummies store[b], store[c]), a numeric 'x',
    a 0/1 'flag' and ``extra`` more numeric columns; a count target."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"store": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n),
                       "flag": rng.integers(0, 2, n),
                       **{f"z{k}": rng.normal(size=n) for k in range(extra)},
                       "y": rng.poisson(3.0, n)})
    return prepare(df, "y")


STRONG_X = {"store[b]": 0.2, "store[c]": -0.1, "x": 5.0, "flag": 1.0}


def _visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def test_partial_effects_one_panel_per_original_feature_largest_effect_first():
    data = _shop()
    features = cr._features(data)
    assert [(f.name, f.kind) for f in features] == [
        ("store", "categorical"), ("x", "numeric"), ("flag", "binary")]
    assert features[0].columns == (0, 1) and features[0].levels == ("a", "b", "c")
    predict = cr._predictor(_Additive(STRONG_X), data.feature_names)
    fig = plots.partial_effects({"m": predict}, data.X, data.feature_names, features=features)
    axes = _visible(fig)
    assert [ax.get_xlabel() for ax in axes] == ["x", "flag", "store"]  # by effect: 19.6, 1, 0.3
    (line,) = axes[0].lines
    assert line.get_linestyle() == "-" and len(line.get_xdata()) > 10
    # the 0/1 column: two markers, no line, one unit apart (its coefficient)
    (flag,) = axes[1].lines
    assert flag.get_linestyle() == "None" and flag.get_marker() == "o"
    np.testing.assert_array_equal(flag.get_xdata(), [0.0, 1.0])
    assert np.diff(flag.get_ydata())[0] == pytest.approx(1.0, abs=1e-12)
    # the categorical: one marker per level, baseline = all dummies 0, level k = dummy k alone
    (store,) = axes[2].lines
    assert store.get_linestyle() == "None"
    np.testing.assert_array_equal(store.get_xdata(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(store.get_ydata() - store.get_ydata()[0], [0.0, 0.2, -0.1],
                               atol=1e-12)
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["a", "b", "c"]


def test_partial_effects_markers_of_several_models_sit_side_by_side():
    data = _shop()
    predict = cr._predictor(_Additive(STRONG_X), data.feature_names)
    fig = plots.partial_effects({"m1": predict, "m2": predict}, data.X, data.feature_names,
                                features=cr._features(data))
    store = _visible(fig)[2]
    a, b = (ln.get_xdata() for ln in store.lines)
    np.testing.assert_allclose(b - a, 0.1)  # dodged by a tenth of the level spacing
    np.testing.assert_allclose((a + b) / 2, [0.0, 1.0, 2.0])


def test_partial_effects_formula_design_falls_back_to_encoded_columns():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=60), "y": rng.poisson(2.0, 60)})
    data = prepare(df, "y", formula="y ~ x + I(x**2)")
    features = cr._features(data)
    assert [f.name for f in features] == data.feature_names
    assert [f.columns for f in features] == [(0,), (1,)]


def test_partial_section_says_order_and_how_many_features_are_not_shown():
    data = _shop(extra=6)  # 9 original features, 10 encoded columns
    weights = {**STRONG_X, **{f"z{k}": 0.01 * (k + 1) for k in range(6)}}
    rep = Report("t")
    comp = Comparison("counts", pd.DataFrame(), [], 5, "Poisson deviance")
    cr.partial_section(rep, comp, data, [RungResult("best", None, model=_Additive(weights))])
    html = rep.html()
    assert "ordered by effect size" in html
    assert "3 of the 9 features, with smaller effects, are not shown" in html


def test_loss_curves_one_panel_per_model_with_its_own_axes():
    glm = np.array([803.0, 726.0, 724.6, 724.5])
    mlp = np.linspace(4.0, 1.1, 300)
    fig = plots.loss_curves({"Poisson GLM": glm, "MLP": mlp},
                            ylabel={"Poisson GLM": "deviance", "MLP": "mean loss per row"},
                            xlabel={"Poisson GLM": "IRLS iteration", "MLP": "epoch"})
    a, b = _visible(fig)
    assert (a.get_title(), a.get_ylabel(), a.get_xlabel()) == (
        "Poisson GLM", "deviance", "IRLS iteration")
    assert (b.get_title(), b.get_ylabel(), b.get_xlabel()) == ("MLP", "mean loss per row", "epoch")
    assert not a.get_shared_y_axes().joined(a, b) and not a.get_shared_x_axes().joined(a, b)
    assert a.get_ylim()[0] > 700 and b.get_ylim()[1] < 5  # each axis spans its own curve
    assert a.get_xlim()[1] < 5 and b.get_xlim()[1] > 290
    assert a.lines[0].get_marker() == "o" and b.lines[0].get_marker() in (None, "None")
    assert a.get_yscale() == b.get_yscale() == "linear"  # neither spans a factor of 10


def test_loss_curves_single_model_and_log_scale():
    fig = plots.loss_curves({"square trick": np.geomspace(100.0, 0.5, 50)},
                            ylabel="half mean squared error")
    (ax,) = _visible(fig)
    assert (ax.get_title(), ax.get_ylabel()) == ("square trick", "half mean squared error")
    assert ax.get_yscale() == "log"


def _counts(n=300, alpha=0.5, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    mu = np.exp(1.0 + 0.5 * x)
    y = rng.negative_binomial(1.0 / alpha, 1.0 / (1.0 + alpha * mu))
    return pd.DataFrame({"x": x, "y": y})


def test_curve_axes_name_what_each_model_records(monkeypatch):
    from reglab.models.glm import GLM, NegativeBinomial
    from reglab.models.mlp import MLPRegressor

    df = _counts(n=120)
    X, y = df[["x"]], df["y"]
    pois = GLM(family="poisson", link="log").fit(X, y)
    nb = NegativeBinomial().fit(X, y)
    with pytest.warns(Warning):  # stopped after 5 epochs
        mlp = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    assert cr._curve_axes(pois) == ("IRLS iteration", "deviance")
    assert cr._curve_axes(nb) == ("IRLS iteration", "deviance (alpha re-estimated)")
    assert cr._curve_axes(mlp) == ("epoch", "mean loss per row")
    seen = {}
    monkeypatch.setattr(cr.plots, "loss_curves", lambda c, **kw: seen.update(c=c, **kw) or _fig())
    rep = Report("t")
    cr.curves_section(rep, [RungResult(n, None, model=m) for n, m in
                     [("Poisson GLM", pois), ("negative binomial GLM", nb), ("MLP", mlp)]])
    assert list(seen["c"]) == ["Poisson GLM", "negative binomial GLM", "MLP"]
    assert seen["ylabel"]["MLP"] == "mean loss per row"
    np.testing.assert_array_equal(seen["c"]["Poisson GLM"], pois.loss_curve_)
    text = rep.html()
    assert "deviance: the total deviance after each IRLS iteration" in text
    assert "half the deviance per row" in text


def _fig():
    from reglab.viz.style import subplots

    return subplots()[0]


def test_nb_pearson_residuals_use_the_fitted_nb_variance(monkeypatch):
    from reglab.models.glm import NegativeBinomial

    df = _counts()
    nb = NegativeBinomial().fit(df[["x"]], df["y"])
    alpha = nb.alpha_nb_
    assert alpha > 0.2
    mu = nb.predict(df[["x"]]) * 1.1  # any positive held-out means
    scale, words = pearson_scale(nb, mu, "counts")
    np.testing.assert_allclose(scale, np.sqrt(mu + alpha * mu**2), rtol=1e-12, atol=0)
    assert f"negative binomial variance mu + alpha mu^2, alpha = {alpha:.3g}" in words
    # a model without a variance function (least squares, a forest) keeps raw residuals: it is
    # judged by its own constant-variance assumption, not one the task suggests
    scale, words = pearson_scale(_Additive({}), mu, "counts")
    assert scale is None and words == ("raw residuals (the model assumes a constant variance or "
                                       "has no variance function)")
    # a network trained with a Poisson head: its family's variance
    from reglab.models import MLPRegressor

    net = MLPRegressor((4,), family="poisson", max_iter=2, random_state=0)
    with pytest.warns(Warning):
        net.fit(df[["x"]], df["y"])
    np.testing.assert_allclose(pearson_scale(net, mu)[0], np.sqrt(mu), rtol=1e-12)
    # the report passes those scales to the figure and names the variance in each caption
    data = prepare(df, "y")
    seen = {}
    monkeypatch.setattr(cr.plots, "residual_diagnostics",
                        lambda y, yh, title, pearson_scale, weights: seen.update(
                            {title: pearson_scale}) or _fig())
    rep = Report("t")
    cr.diagnostics_section(rep, data, [RungResult("negative binomial GLM", None, oof=mu, model=nb),
                                RungResult("linear", None, oof=mu, model=_Additive({}))])
    np.testing.assert_allclose(seen["negative binomial GLM"], np.sqrt(mu + alpha * mu**2),
                               rtol=1e-12, atol=0)
    assert seen["linear"] is None
    html = rep.html()
    assert f"negative binomial GLM, as Pearson residuals (y - mu) / sqrt(V(mu)) with the " \
           f"negative binomial variance mu + alpha mu^2, alpha = {alpha:.3g} from the fit on " \
           "all rows" in html
    assert "linear, raw residuals (the model assumes a constant variance" in html


def test_gaussian_family_and_nonpositive_means_give_raw_residuals():
    from reglab.models.glm import GLM

    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 1))
    m = GLM(family="gaussian").fit(X, X[:, 0] + rng.normal(size=50))
    assert pearson_scale(m, np.ones(50), "continuous")[0] is None
    scale, words = pearson_scale(_Additive({}), np.array([1.0, -0.5]), "counts")
    assert scale is None and words.startswith("raw residuals")


def test_summaries_name_the_features_and_say_when_they_were_standardised():
    from reglab.compare import compare

    rng = np.random.default_rng(1)
    n = 150
    df = pd.DataFrame({"temp": rng.normal(size=n), "dose": rng.normal(size=n)})
    df["y"] = 1.0 + 2.0 * df.temp - df.dose + 0.5 * df.temp**2 + rng.normal(scale=0.3, size=n)
    data = prepare(df, "y")
    comp = compare(data, folds=3, seed=0, models=["linear", "polynomial"], fast=True)
    rep = Report("t")
    cr.summaries_section(rep, comp, comp.fitted())
    text = rep.html()
    # the pipeline hands DataFrames on: the polynomial terms keep the feature names
    assert "temp^2" in text and "temp dose" in text and "x1^2" not in text
    assert ("polynomial (degree 2) (fitted on standardised features: each coefficient is per "
            "standard deviation of its term)") in text
    assert "linear (fitted" not in text


@pytest.mark.parametrize(("n", "hidden", "tail"), [
    (1, 0, "The data set has one feature."),
    (2, 0, "largest first; both features are shown."),
    (4, 0, "largest first; all 4 features are shown."),
    (9, 3, "largest first; 3 of the 9 features, with smaller effects, are not shown."),
])
def test_partial_section_text_reads_right_for_any_count(n, hidden, tail):
    assert cr._shown(n, hidden).endswith(tail)


def test_data_section_lists_the_original_features():
    data = _shop(extra=1)
    assert cr._feature_list(data) == "4 features (store: 3 levels, x, flag, z0) in 5 columns"
    one = prepare(pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 5]}), "y")
    assert cr._feature_list(one) == "1 feature (x)"


def test_bayesian_nb_pearson_residuals_use_its_posterior_mean_alpha():
    class BayesNB:  # what the ladder's Bayesian NB rung leaves: a family name and dispersion_
        family, dispersion_ = "negative_binomial", 0.8

    mu = np.array([0.5, 3.0, 40.0])
    scale, words = pearson_scale(BayesNB(), mu, "counts")
    np.testing.assert_allclose(scale, np.sqrt(mu + 0.8 * mu**2), rtol=1e-12)
    assert "negative binomial variance mu + alpha mu^2, alpha = 0.8 (posterior mean" in words


def test_calibration_points_lie_on_the_diagonal_only_for_calibrated_probabilities():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=40_000)
    hit = (rng.uniform(size=p.size) < p).astype(float)
    mean_p, freq = cr.calibration_points(p, hit)
    assert mean_p.size == 10
    np.testing.assert_allclose(freq, mean_p, atol=0.02)  # binomial SE per bin ~ 0.008
    _, freq_sq = cr.calibration_points(p**2, hit)  # over-confident low, too low high
    assert np.max(np.abs(freq_sq - cr.calibration_points(p**2, hit)[0])) > 0.15


def test_classification_with_many_features_gets_a_calibration_plot():
    rng = np.random.default_rng(1)
    n = 200
    df = pd.DataFrame({f"x{j}": rng.normal(size=n) for j in range(3)})
    df["y"] = np.where(df.x0 + rng.normal(size=n) > 0, "a", "b")
    data = prepare(df, "y")
    from reglab.compare import compare

    comp = compare(data, folds=2, seed=0, models=["logistic"], fast=True)
    rep = Report("t")
    cr.fits_section(rep, comp, data, comp.fitted())
    html = rep.html()
    assert "Calibration of the held-out (out-of-fold) probabilities" in html
    assert "data:image/png;base64," in html


def test_counts_with_exposure_are_reported_as_rates(monkeypatch):
    """One feature, Poisson counts over exposures: the fitted-curve panel draws the observed
    rates y / e against the models' rate curves; the Data, partial-effects and summary texts say
    how the exposure is used."""
    from reglab.compare import compare

    rng = np.random.default_rng(4)
    n = 120
    e = np.exp(rng.uniform(0.0, 3.0, n))
    df = pd.DataFrame({"age": rng.uniform(20, 70, n)})
    df["claims"] = rng.poisson(e * np.exp(-3 + 0.03 * df.age))
    data = prepare(df, "claims")
    comp = compare(data, folds=2, seed=0, models=["Poisson GLM", "MLP"], fast=True,
                   exposure=pd.Series(e, name="years"))
    seen, draw = {}, plots.fit_lines

    def fit_lines(x, y, curves, xlabel, ylabel):
        seen.update(y=y, curves=curves, ylabel=ylabel)
        return draw(x, y, curves, xlabel=xlabel, ylabel=ylabel)

    monkeypatch.setattr(cr.plots, "fit_lines", fit_lines)
    html = cr.build_compare_report(comp, data, "claims.csv").html()
    np.testing.assert_allclose(seen["y"], data.y / e)
    assert seen["ylabel"] == "claims / years"
    grid, rate = seen["curves"]["Poisson GLM"]
    glm = next(r.model for r in comp.results if r.name == "Poisson GLM").regressor_
    np.testing.assert_allclose(rate, np.exp(glm.intercept_ + glm.coef_[0] * grid), rtol=1e-10)
    assert "Exposure column &#x27;years&#x27;" in html or "Exposure column 'years'" in html
    assert "Partial dependence of the rate claims per unit of years" in html
    assert "Poisson GLM (offset log(years): the model is for the rate per unit of years)" in html


def test_weighted_panels_use_the_weights_and_leave_out_rows_of_weight_zero():
    """Integer weights in the partial dependence equal repeating the rows (1e-12); 0/1 weights in
    the calibration bins equal dropping the 0 rows, other weights give np.average per bin; the
    residual panel draws sqrt(w) (y - mu) of the rows with w > 0 (R's plot.lm of a weighted fit)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 3))
    w = rng.integers(0, 4, 30).astype(float)
    predict = lambda A: np.tanh(A @ np.array([1.0, -2.0, 0.5])) + A[:, 1] ** 2  # noqa: E731
    settings = np.linspace(-1, 1, 5)[:, None]
    np.testing.assert_allclose(
        plots._mean_prediction(predict, X, [0], settings, w),
        plots._mean_prediction(predict, np.repeat(X, w.astype(int), axis=0), [0], settings),
        rtol=1e-12)
    fig = plots.partial_effects({"m": predict}, X, ["a", "b", "c"], weights=np.r_[0.0, w[1:]])
    (line,) = [ax for ax in fig.axes if ax.get_xlabel() == "b"][0].lines
    keep = np.r_[0.0, w[1:]] > 0
    expect = plots.partial_dependence(predict, X[keep], 1, weights=w[keep])
    np.testing.assert_allclose(line.get_xdata(), expect[0], rtol=1e-12)
    np.testing.assert_allclose(line.get_ydata(), expect[1], rtol=1e-12)

    p = rng.uniform(size=400)
    hit = (rng.uniform(size=400) < p).astype(float)
    keep = rng.uniform(size=400) < 0.7
    for a, b in zip(cr.calibration_points(p, hit, weights=keep.astype(float)),
                    cr.calibration_points(p[keep], hit[keep])):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    ww = rng.uniform(0.5, 2.0, 400)
    mean_p, freq = cr.calibration_points(p, hit, bins=1, weights=ww)
    assert mean_p[0] == pytest.approx(np.sum(ww * p) / np.sum(ww), rel=1e-12)
    assert freq[0] == pytest.approx(np.sum(ww * hit) / np.sum(ww), rel=1e-12)

    y, mu = rng.normal(size=30), rng.normal(size=30)
    fig = plots.residual_diagnostics(y, mu, weights=w)
    pts = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(pts[:, 0], mu[w > 0], rtol=1e-12)
    np.testing.assert_allclose(pts[:, 1], np.sqrt(w[w > 0]) * (y - mu)[w > 0], rtol=1e-12)
    assert fig.axes[0].get_ylabel() == "weighted residual"


def test_weighted_compare_report_says_how_rows_are_weighted():
    """A compare with weights, some 0: the fit panel leaves those rows out and says so, the
    residual text says the residuals are scaled by sqrt(weight), partial effects are weighted."""
    from reglab.compare import compare

    rng = np.random.default_rng(5)
    n = 90
    df = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 1.0 + df.x - 0.5 * df.z + rng.normal(scale=0.3, size=n)
    w = pd.Series(np.where(np.arange(n) < 10, 0.0, rng.uniform(0.5, 2, n)), name="w")
    data = prepare(df, "y")
    comp = compare(data, folds=3, models=["linear"], sample_weight=w)
    np.testing.assert_array_equal(comp.weights, w.to_numpy())
    html = cr.build_compare_report(comp, data, "d.csv").html()
    assert "The 10 rows of weight 0 are not drawn." in html
    assert "multiplied by the square root of its row&#x27;s weight" in html or \
        "multiplied by the square root of its row's weight" in html
    assert "the 10 rows of weight 0 are left out" in html
    assert "the mean over the data weighted by" in html
