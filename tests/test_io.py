"""model files: round trips, versioning, tamper detection, no pickle."""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from reglab.io import (
    FORMAT_VERSION,
    ModelFileError,
    kind_of,
    load_model,
    register_model,
    save_model,
)


class Toy(RegressorMixin, BaseEstimator):
    """y = X @ w + b, with a pandas Series and string attributes to exercise the codec."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y):
        X = np.asarray(X, float)
        A = np.column_stack([np.ones(len(X)), X])
        beta = np.linalg.lstsq(A, y, rcond=None)[0]
        self.intercept_, self.coef_ = float(beta[0]), beta[1:] * self.scale
        self.params_ = pd.Series(beta, index=["Intercept", *[f"x{j}" for j in range(X.shape[1])]])
        self.names_ = np.array(["a", "b"], dtype=object)
        return self

    def predict(self, X):
        return np.asarray(X, float) @ self.coef_ + self.intercept_


class Forgetful(Toy):
    pass


register_model("toy", Toy)
register_model("forgetful", Forgetful, to_dict=lambda m: {"scale": m.scale},
               from_dict=lambda d: Forgetful(d["scale"]).fit(np.eye(2), np.zeros(2)))


@pytest.fixture
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    return Toy().fit(X, X @ [1.5, -2.0] + 0.5), X


@pytest.mark.parametrize("name", ["m.reglab", "m.zip", "m_dir"])
def test_round_trip_zip_and_folder(tmp_path, fitted, name):
    model, X = fitted
    path = save_model(model, tmp_path / name, meta={"target": "y", "notes": ["a"]}, X_check=X)
    mf = load_model(path)
    assert mf.kind == "toy" and mf.version == FORMAT_VERSION
    assert mf.meta == {"target": "y", "notes": ["a"]}
    np.testing.assert_array_equal(mf.model.predict(X), model.predict(X))
    pd.testing.assert_series_equal(mf.model.params_, model.params_)
    assert mf.model.names_.tolist() == ["a", "b"]


def _rewrite(path, name, transform):
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files[name] = transform(files[name])
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in files.items():
            zf.writestr(n, data)


def _edit_json(fn):
    def transform(raw):
        doc = json.loads(raw)
        fn(doc)
        return json.dumps(doc).encode()

    return transform


def test_edited_json_is_detected(tmp_path, fitted):
    path = save_model(fitted[0], tmp_path / "m.reglab")
    _rewrite(path, "model.json", _edit_json(lambda d: d["state"]["fitted"].update(
        intercept_=99.0)))
    with pytest.raises(ModelFileError, match="modified after saving .checksum"):
        load_model(path)


def test_edited_array_is_detected(tmp_path, fitted):
    path = save_model(fitted[0], tmp_path / "m.reglab")
    _rewrite(path, "arrays/a0.npy", lambda raw: raw[:-8] + np.float64(7.0).tobytes())
    with pytest.raises(ModelFileError, match="array a0 was modified"):
        load_model(path)


def _resign(doc):
    from reglab.io import _checksum

    doc["checksum"] = _checksum(doc)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda d: d.update(version=FORMAT_VERSION + 1), "version 2; this reglab reads versions 1..1"),
    (lambda d: d.update(kind="os.system"), "model kind 'os.system', which this reglab does not"),
    (lambda d: d.update(format="other"), "not a reglab model file"),
])
def test_unknown_version_kind_format(tmp_path, fitted, edit, match):
    path = save_model(fitted[0], tmp_path / "m.reglab")

    def both(doc):
        edit(doc)
        _resign(doc)

    _rewrite(path, "model.json", _edit_json(both))
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_pickled_array_is_refused(tmp_path, fitted):
    import io

    path = save_model(fitted[0], tmp_path / "m_dir")
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    doc = json.loads((path / "model.json").read_text())
    from reglab.io import _sha

    doc["arrays"]["a0"]["sha256"] = _sha(buf.getvalue())
    _resign(doc)
    (path / "model.json").write_text(json.dumps(doc))
    (path / "arrays" / "a0.npy").write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match="allow_pickle"):
        load_model(path)


def test_not_a_model_file(tmp_path):
    (tmp_path / "x.reglab").write_text("hello")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(tmp_path / "x.reglab")
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "missing.reglab")


def test_unfaithful_codec_is_refused_before_writing(tmp_path):
    X = np.random.default_rng(1).normal(size=(10, 2))
    model = Forgetful().fit(X, X @ [1.0, 2.0] + 3.0)
    with pytest.raises(ModelFileError, match="cannot be saved faithfully"):
        save_model(model, tmp_path / "f.reglab", X_check=X)
    assert not (tmp_path / "f.reglab").exists()


def test_unregistered_class_is_refused(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(ModelFileError, match="Ridge cannot be saved: not a registered"):
        save_model(Ridge().fit(np.eye(3), [1, 2, 3]), tmp_path / "r.reglab")


def test_reglab_linear_regression_round_trip(tmp_path):
    from reglab.models.linear import LinearRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    model = LinearRegression().fit(X, X @ [1.0, 0.0, -1.0] + rng.normal(size=40))
    back = load_model(save_model(model, tmp_path / "lin.reglab", X_check=X)).model
    np.testing.assert_array_equal(back.predict(X), model.predict(X))
    assert back.summary() == model.summary()


def test_saved_glm_says_why_it_has_no_residuals(tmp_path):
    from reglab.models.glm import GLM

    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 2))
    model = GLM(family="poisson").fit(X, rng.poisson(np.exp(X[:, 0] / 2)))
    back = load_model(save_model(model, tmp_path / "g.reglab", X_check=X)).model
    assert back.weighted_ is False and back.summary() == model.summary()
    with pytest.raises(ValueError, match="a saved model does not keep"):
        back.residuals()


def _formula_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.uniform(1, 3, n),
                       "x3": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    df["y"] = rng.poisson(np.exp(0.2 + 0.3 * df.x1 + 0.2 * (df.g == "b")))
    return df


def test_formula_model_round_trip_keeps_the_formula(tmp_path):
    # the fitted formula (levels, center's mean, bs knots) is saved as JSON data: the loaded
    # model builds the same design from raw data, even data with one level of the factor
    from reglab.models._formula import formula_spec_from_dict, formula_spec_to_dict
    from reglab.models.glm import GLM

    df = _formula_frame()
    m = GLM.from_formula("y ~ x1 + I(x1**2) + C(g) + center(x3) + bs(x2, df=4)", df,
                         family="poisson")
    path = save_model(m, tmp_path / "f.reglab", X_check=df.head(30))
    back = load_model(path).model
    assert back.formula_ == m.formula_
    new = _formula_frame(50, seed=1)
    one_level = new[new.g == "c"]
    for data in (new, one_level):
        np.testing.assert_array_equal(back.predict(data), m.predict(data))
    spec = formula_spec_from_dict(json.loads(json.dumps(formula_spec_to_dict(m.formula_spec_))))
    a, b = m.formula_spec_.get_model_matrix(one_level), spec.get_model_matrix(one_level)
    assert list(a.columns) == list(b.columns)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert "Formula: y ~ x1" in back.summary()


def test_formula_gam_with_expressions_round_trip(tmp_path):
    from reglab.models.gam import GAM

    df = _formula_frame()
    df["y"] = np.sin(df.x1) + np.log(df.x2) + rng_noise(len(df))
    m = GAM.from_formula("y ~ s(x1) + C(g) + np.log(x2)", df)
    back = load_model(save_model(m, tmp_path / "g", X_check=df.head(30))).model
    new = _formula_frame(40, seed=2)
    np.testing.assert_array_equal(back.predict(new), m.predict(new))


def rng_noise(n):
    return np.random.default_rng(9).normal(0, 0.2, n)


def test_compare_composites_round_trip_as_data(tmp_path):
    """The ladder's pipelines (scaler + polynomial features + model), the standardised-response
    network and the exposure wrappers save as data and predict exactly what they did."""
    import warnings

    from reglab._ladder import Exposed, ladder
    from reglab.data import prepare

    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.normal(size=120), "b": rng.uniform(0, 1, 120)})
    df["y"] = df.a + df.b**2 + rng.normal(scale=0.1, size=120)
    expo = rng.uniform(0.5, 4.0, 120)
    df["n"] = rng.poisson(expo * np.exp(0.3 * df.a))
    df["pos"] = np.exp(df.y)
    df["two"] = np.where(df.y > 0.5, "hi", "lo")
    df["three"] = pd.cut(df.y, 3, labels=["l", "m", "h"]).astype(str)
    X = df[["a", "b"]]
    new = pd.DataFrame({"a": [-3.0, 0.1, 4.0], "b": [1.5, 0.3, -0.5]})  # beyond the data too
    kinds = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for target, e in (("y", None), ("n", expo), ("pos", None), ("two", None),
                          ("three", None)):
            data = prepare(df[["a", "b", target]], target)
            for rung in ladder(data.task):
                est, _ = rung.build(data, seed=0, fast=True, errors=None, exposure=e)
                rung.fit(est, X, data.y, np.arange(120), None, e)
                path = save_model(est, tmp_path / f"{kind_of(est)}.reglab", X_check=X)
                kinds.add(kind_of(est))
                back = load_model(path).model
                extra = {} if e is None else {"exposure": [1.0, 2.0, 0.5]}
                for method in ("predict", "predict_proba"):
                    if hasattr(est, method):  # on new rows, not only the X_check rows
                        np.testing.assert_allclose(getattr(back, method)(new, **extra),
                                                   getattr(est, method)(new, **extra),
                                                   rtol=1e-12, err_msg=f"{rung.name} {method}")
                if e is not None:
                    assert isinstance(back, Exposed) and back.offset == est.offset
    assert {"pipeline", "target_transformer", "exposure_rate"} <= kinds


def test_a_tampered_nested_kind_is_refused(tmp_path):
    """A re-signed file whose pipeline step names a class instead of a registered kind, or
    whose step state is malformed, is a ModelFileError; nothing named in a file is imported."""
    import json
    import zipfile

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from reglab import io as rio
    from reglab.models.linear import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    model = make_pipeline(StandardScaler(), LinearRegression()).fit(X, X[:, 0])
    path = save_model(model, tmp_path / "p.reglab", X_check=X)
    files = {n: zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()}
    for edit, match in ((lambda d: d["state"]["steps"][0][1].update(
                            kind="sklearn.linear_model.LinearRegression"),
                         "unknown nested model kind"),
                        (lambda d: d["state"]["steps"].__setitem__(0, ["x"]),
                         "malformed pipeline state")):
        doc = json.loads(files["model.json"])
        edit(doc)
        doc["checksum"] = rio._checksum(doc)
        bad = dict(files, **{"model.json": json.dumps(doc).encode()})
        with pytest.raises(ModelFileError, match=match):
            rio._decode(lambda name, bad=bad: bad[name], "p.reglab")


def test_multiindex_frames_and_the_perceptron_round_trip(tmp_path):
    """A SoftmaxRegression's (class, term) MultiIndex comes back as tuples (was the strings
    "('a', 'q')", so .loc[("a", "q")] failed), integer class labels as integers; the Perceptron
    is a registered kind (it was refused) and round-trips exactly."""
    from reglab.models.logistic import SoftmaxRegression
    from reglab.models.perceptron import Perceptron

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(90, 2)), columns=["q", "r"])
    for labels in (np.array(["a", "b", "c"]), np.array([3, 5, 7])):
        y = labels[rng.integers(0, 3, 90)]
        s = SoftmaxRegression().fit(X, y)
        back = load_model(save_model(s, tmp_path / f"s{labels[0]}.reglab")).model
        pd.testing.assert_frame_equal(back.cov_params_, s.cov_params_, check_exact=True)
        pd.testing.assert_frame_equal(back.params_, s.params_, check_exact=True)  # (p, K-1)
        key = (s.cov_params_.index[2], s.cov_params_.index[2])
        assert back.cov_params_.loc[key] == s.cov_params_.loc[key]
    p = Perceptron(random_state=0).fit(X, (X.q > 0).astype(int))
    assert kind_of(p) == "perceptron"
    back = load_model(save_model(p, tmp_path / "p.reglab", X_check=X)).model
    np.testing.assert_array_equal(back.decision_function(X), p.decision_function(X))


def test_saving_never_mixes_into_another_folder_or_half_writes(tmp_path, fitted, monkeypatch):
    """A folder that holds other files (a report) is refused; an interrupted zip write leaves
    the file that was there untouched and no partial file."""
    model, X = fitted
    report = tmp_path / "report"
    report.mkdir()
    (report / "index.html").write_text("<html></html>")
    with pytest.raises(ModelFileError, match="folder .*report exists and holds other files; save "
                                             "to a new folder or to a .reglab file"):
        save_model(model, report)
    assert [f.name for f in report.iterdir()] == ["index.html"]
    folder = save_model(model, tmp_path / "m_dir")
    save_model(model, folder)  # a model folder may be overwritten
    target = save_model(model, tmp_path / "m.reglab")
    before = target.read_bytes()

    def broken(self, name, data, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, target)
    assert target.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.reglab", "m_dir", "report"]


def test_a_separated_binomial_fit_keeps_its_finding_through_a_file(tmp_path):
    """The separation found at fit is part of the summary: a loaded GLM / LogisticRegression
    summary is the fitted one's, warning line included (GLM's summary raised AttributeError)."""
    import warnings

    from reglab.models.glm import GLM
    from reglab.models.logistic import LogisticRegression

    X = pd.DataFrame({"dose": np.arange(10.0)})
    y = (X.dose > 4.5).astype(float)
    for model in (GLM(family="binomial"), LogisticRegression()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)
        assert model.separation_.separated
        back = load_model(save_model(model, tmp_path / "s.reglab")).model
        assert back.separation_.columns == ["dose"] and back.separation_.complete
        np.testing.assert_array_equal(back.separation_.direction, model.separation_.direction)
        assert back.summary() == model.summary() and "WARNING: complete separation" in \
            back.summary()
