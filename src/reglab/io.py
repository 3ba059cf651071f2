"""Model files are data: versioned JSON plus ``.npy`` arrays, in a zip (``*.reglab``) or a folder.

Layout::

    model.json          {"format": "reglab-model", "version": 1, "kind": "glm", "state": {...},
                         "meta": {...}, "arrays": {"a0": {"sha256": ..., "shape": ..., ...}},
                         "checksum": sha256 of everything above}
    arrays/a0.npy ...   loaded with ``np.load(allow_pickle=False)``

Loading never unpickles and never imports a class named in the file: ``kind`` must be one of the
kinds in :data:`MODEL_KINDS`, registered in code with :func:`register_model`. A file written by a
newer format version, an unknown kind, an array whose hash differs from the one recorded, or an
edited ``model.json`` (its checksum no longer matches) raises :class:`ModelFileError`.
The checksum detects corruption and accidental edits; it is not a signature.

A kind's hooks are ``to_dict(model) -> dict`` and ``from_dict(dict) -> model``; the dict may hold
NumPy arrays, pandas Series/DataFrames, and JSON values at any depth. Classes that define
``to_dict``/``from_dict`` themselves are registered with those; others get a generic codec over
scikit-learn conventions (``get_params()`` and the public fitted attributes ending in ``_``).
:func:`save_model` reloads what it wrote and checks the predictions agree before keeping it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMAT", "FORMAT_VERSION", "MODEL_KINDS", "ModelFileError", "ModelFile",
           "register_model", "save_model", "load_model", "kind_of"]

FORMAT, FORMAT_VERSION = "reglab-model", 1


class ModelFileError(ValueError):
    """A model file that cannot be read: missing, unknown version/kind, or tampered with."""


@dataclass(frozen=True)
class Codec:
    kind: str
    cls: type
    to_dict: Callable[[Any], dict]
    from_dict: Callable[[dict], Any]


MODEL_KINDS: dict[str, Codec] = {}


@dataclass
class ModelFile:
    """What :func:`load_model` returns: the estimator, its kind and the caller's metadata."""

    model: Any
    kind: str
    meta: dict[str, Any]
    version: int


def register_model(kind: str, cls: type, to_dict: Callable[[Any], dict] | None = None,
                   from_dict: Callable[[dict], Any] | None = None) -> None:
    """Register ``cls`` under ``kind`` (hooks default to ``cls.to_dict`` / ``cls.from_dict``,
    then to the generic scikit-learn codec)."""
    if to_dict is None and hasattr(cls, "to_dict") and hasattr(cls, "from_dict"):
        to_dict, from_dict = cls.to_dict, cls.from_dict
    if to_dict is None or from_dict is None:
        to_dict, from_dict = _generic_to_dict, _generic_from_dict(cls)
    MODEL_KINDS[kind] = Codec(kind, cls, to_dict, from_dict)


def kind_of(model: Any) -> str:
    """The registered kind of ``model`` (exact class match), or ModelFileError."""
    _register_known()
    for codec in MODEL_KINDS.values():
        if type(model) is codec.cls:
            return codec.kind
    raise ModelFileError(f"{type(model).__name__} cannot be saved: not a registered model kind "
                         f"({', '.join(sorted(MODEL_KINDS)) or 'none registered'})")


# ---- generic codec ---------------------------------------------------------------------------
def _jsonable(v: Any) -> bool:
    try:
        json.dumps(v)
        return True
    except (TypeError, ValueError):
        return False


def _family_spec(f: Any) -> dict | None:
    from reglab.core.families import Family

    if not isinstance(f, Family):
        return None
    spec = {"name": f.name, "link": f.link.name, **dict(getattr(f, "params", {}) or {})}
    if f.name == "poisson" and getattr(f, "alpha", None) is not None:
        spec["nb_alpha"] = float(f.alpha)  # NegativeBinomial at its Poisson limit (alpha 0)
    return spec


def _family_from_spec(spec: dict) -> Any:
    from reglab.core.families import get_family

    spec = dict(spec)
    nb_alpha = spec.pop("nb_alpha", None)
    fam = get_family(spec)
    if nb_alpha is not None:
        fam.alpha = float(nb_alpha)
    return fam


def _encodable(v: Any) -> Any:
    """``v`` in a form the container can store, or raise TypeError."""
    if isinstance(v, np.ndarray | pd.Series | pd.DataFrame | np.generic):
        return v
    if isinstance(v, list | tuple) and all(isinstance(e, str | int | float | bool) for e in v):
        return list(v)
    if v is None or isinstance(v, str | int | float | bool):
        return v
    spec = _family_spec(v)
    if spec is not None:
        return {"__family__": spec}
    if type(v).__name__ == "Separation":  # a binomial fit's separation finding (its summary)
        return {"__separation__": {"separated": bool(v.separated), "complete": bool(v.complete),
                                   "columns": [str(c) for c in v.columns],
                                   "direction": np.asarray(v.direction, float),
                                   "label": str(v.label), "constant": v.constant,
                                   "counts": bool(getattr(v, "counts", False))}}
    if type(v).__name__ == "ModelSpec":  # a formula model's fitted formula (formulaic)
        from reglab.models._formula import formula_spec_to_dict

        return {"__formula_spec__": formula_spec_to_dict(v)}
    raise TypeError(type(v).__name__)


def _generic_to_dict(model: Any) -> dict:
    params = {k: v for k, v in model.get_params(deep=False).items()}
    bad = [k for k, v in params.items() if not _jsonable(v)]
    if bad:
        raise ModelFileError(f"{type(model).__name__} parameter(s) {bad} are not plain values")
    fitted, skipped = {}, []
    for name, value in vars(model).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        try:
            fitted[name] = _encodable(value)
        except TypeError:
            skipped.append(name)  # derived objects; the reload check catches anything needed
    return {"params": params, "fitted": fitted, "skipped": skipped}


def _generic_from_dict(cls: type) -> Callable[[dict], Any]:
    def build(d: dict) -> Any:
        model = cls(**d["params"])
        for name, value in d["fitted"].items():
            if isinstance(value, dict) and "__family__" in value:
                value = _family_from_spec(value["__family__"])
            elif isinstance(value, dict) and "__separation__" in value:
                from reglab.inference.separation import Separation

                value = Separation(**value["__separation__"])
            elif isinstance(value, dict) and "__formula_spec__" in value:
                from reglab.models._formula import formula_spec_from_dict

                value = formula_spec_from_dict(value["__formula_spec__"])
            setattr(model, name, value)
        return model

    return build


def _register_known() -> None:
    """Register reglab's estimators that are importable (idempotent)."""
    import importlib

    known = [("linear", "models.linear", "LinearRegression"), ("glm", "models.glm", "GLM"),
             ("negative_binomial", "models.glm", "NegativeBinomial"),
             ("logistic", "models.logistic", "LogisticRegression"),
             ("softmax", "models.logistic", "SoftmaxRegression"),
             ("gam", "models.gam", "GAM"), ("mlp_regressor", "models.mlp", "MLPRegressor"),
             ("random_forest_regressor", "models.forest", "RandomForestRegressor"),
             ("random_forest_classifier", "models.forest", "RandomForestClassifier"),
             ("mlp_classifier", "models.mlp", "MLPClassifier"),
             ("perceptron", "models.perceptron", "Perceptron"),
             ("errors_in_variables", "bayes", "ErrorsInVariablesRegression"),
             ("bayesian_glm", "bayes", "BayesianGLM")]
    for kind, module, name in known:
        if kind in MODEL_KINDS:
            continue
        try:
            cls = getattr(importlib.import_module(f"reglab.{module}"), name)
        except (ImportError, AttributeError):
            continue
        register_model(kind, cls)
    if "pipeline" not in MODEL_KINDS:  # compare's composites: scaler, polynomial, wrappers
        from reglab._io_composite import register_composites

        register_composites(register_model)


# ---- container ---------------------------------------------------------------------------------
def _pack(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON tree with every array replaced by ``{"__array__": key}`` (stored in ``arrays``)."""
    if isinstance(obj, pd.DataFrame):
        return {"__frame__": {"values": _pack(obj.to_numpy(), arrays),
                              "index": _pack_index(obj.index),
                              "columns": _pack_index(obj.columns)}}
    if isinstance(obj, pd.Series):
        return {"__series__": {"values": _pack(obj.to_numpy(), arrays),
                               "index": _pack_index(obj.index),
                               "name": None if obj.name is None else str(obj.name)}}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            if all(isinstance(e, str) for e in obj.ravel()):
                return {"__strarray__": obj.tolist()}
            raise ModelFileError("cannot store an object array that is not all strings")
        key = f"a{len(arrays)}"
        arrays[key] = np.ascontiguousarray(obj)
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise ModelFileError(f"dict keys must be strings: {list(obj)[:5]}")
        return {k: _pack(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_pack(v, arrays) for v in obj]
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    raise ModelFileError(f"cannot store a value of type {type(obj).__name__}")


def _label(v: Any) -> Any:
    """A MultiIndex level value as JSON keeps it: numbers and strings as they are."""
    v = v.item() if isinstance(v, np.generic) else v
    return v if isinstance(v, str | int | float | bool) else str(v)


def _pack_index(index: pd.Index) -> list | dict:
    """Index labels as text; a MultiIndex's tuples as lists of their values (so ``("a", "q")``
    comes back as the tuple, not the string ``"('a', 'q')"``), with the level names."""
    if isinstance(index, pd.MultiIndex):
        return {"tuples": [[_label(v) for v in t] for t in index],
                "names": [None if n is None else str(n) for n in index.names]}
    return [str(i) for i in index]


def _unpack_index(labels: list | dict) -> pd.Index:
    if isinstance(labels, dict):
        return pd.MultiIndex.from_tuples([tuple(t) for t in labels["tuples"]],
                                         names=labels["names"])
    return pd.Index(labels)


def _unpack(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return arrays[obj["__array__"]]
        if set(obj) == {"__strarray__"}:
            return np.asarray(obj["__strarray__"], dtype=object)
        if set(obj) == {"__series__"}:
            s = obj["__series__"]
            return pd.Series(_unpack(s["values"], arrays), index=_unpack_index(s["index"]),
                             name=s["name"])
        if set(obj) == {"__frame__"}:
            f = obj["__frame__"]
            return pd.DataFrame(_unpack(f["values"], arrays), index=_unpack_index(f["index"]),
                                columns=_unpack_index(f["columns"]))
        return {k: _unpack(v, arrays) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unpack(v, arrays) for v in obj]
    return obj


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def _checksum(doc: dict) -> str:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return _sha(json.dumps(body, sort_keys=True, allow_nan=True).encode())


def _encode(model: Any, meta: dict | None) -> dict[str, bytes]:
    kind = kind_of(model)
    arrays: dict[str, np.ndarray] = {}
    state = _pack(MODEL_KINDS[kind].to_dict(model), arrays)
    files = {f"arrays/{k}.npy": _npy(a) for k, a in arrays.items()}
    doc = {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind, "state": state,
           "meta": _pack(meta or {}, {}),
           "arrays": {k: {"sha256": _sha(files[f"arrays/{k}.npy"]), "shape": list(a.shape),
                          "dtype": a.dtype.str} for k, a in arrays.items()}}
    doc["checksum"] = _checksum(doc)
    files["model.json"] = json.dumps(doc, indent=1, allow_nan=True).encode()
    return files


def _decode(read: Callable[[str], bytes], where: str) -> ModelFile:
    try:
        doc = json.loads(read("model.json"))
    except KeyError:
        raise ModelFileError(f"{where} is not a reglab model file (no model.json)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{where}: model.json is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{where} is not a reglab model file (format "
                             f"{doc.get('format') if isinstance(doc, dict) else None!r})")
    version = doc.get("version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(f"{where} has model-file version {version!r}; this reglab reads "
                             f"versions 1..{FORMAT_VERSION} (upgrade reglab?)")
    if doc.get("checksum") != _checksum(doc):
        raise ModelFileError(f"{where}: model.json was modified after saving (checksum mismatch)")
    _register_known()
    kind = doc.get("kind")
    if kind not in MODEL_KINDS:
        raise ModelFileError(f"{where} holds model kind {kind!r}, which this reglab does not "
                             f"know ({', '.join(sorted(MODEL_KINDS))})")
    arrays = {}
    for key, info in doc["arrays"].items():
        try:
            raw = read(f"arrays/{key}.npy")
        except KeyError:
            raise ModelFileError(f"{where}: array {key} is missing") from None
        if _sha(raw) != info["sha256"]:
            raise ModelFileError(f"{where}: array {key} was modified after saving "
                                 "(sha256 mismatch)")
        arrays[key] = np.load(io.BytesIO(raw), allow_pickle=False)
    try:
        model = MODEL_KINDS[kind].from_dict(_unpack(doc["state"], arrays))
    except ModelFileError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise ModelFileError(f"{where}: malformed {kind} state ({type(exc).__name__}: "
                             f"{exc})") from None
    return ModelFile(model, kind, _unpack(doc["meta"], {}), version)


def _reader(path: Path) -> Callable[[str], bytes]:
    if path.is_dir():
        def read_dir(name: str) -> bytes:
            f = path / name
            if not f.is_file():
                raise KeyError(name)
            return f.read_bytes()

        return read_dir
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(f"{path} is not a reglab model file (not a zip archive)") from None
    names = set(zf.namelist())

    def read_zip(name: str) -> bytes:
        if name not in names:
            raise KeyError(name)
        return zf.read(name)

    return read_zip


def load_model(path: str | Path) -> ModelFile:
    """Read a model file (zip or folder) written by :func:`save_model`."""
    p = Path(path)
    if not p.exists():
        raise ModelFileError(f"model file not found: {p}")
    return _decode(_reader(p), str(p))


def _same_predictions(a: Any, b: Any, X: np.ndarray) -> bool:
    for method in ("predict", "predict_proba"):
        if hasattr(a, method):
            pa, pb = np.asarray(getattr(a, method)(X)), np.asarray(getattr(b, method)(X))
            if pa.dtype.kind not in "fiub":  # class labels (strings): exactly the same
                if not np.array_equal(pa, pb):
                    return False
            elif not np.allclose(pa.astype(float), pb.astype(float), rtol=1e-12, atol=0):
                return False
    return True


def save_model(model: Any, path: str | Path, *, meta: dict | None = None,
               X_check: np.ndarray | None = None) -> Path:
    """Write ``model`` to ``path``: a zip when it ends in ``.reglab``/``.zip``, else a folder.

    With ``X_check`` (n, p) the written bytes are loaded back first and must predict exactly
    what ``model`` predicts on ``X_check``; otherwise nothing is written (ModelFileError).
    """
    files = _encode(model, meta)
    p = Path(path)
    if X_check is not None:
        back = _decode(lambda name: files[name], str(p)).model
        try:
            ok = _same_predictions(model, back, X_check)
        except (AttributeError, ValueError, TypeError) as exc:
            ok, why = False, f"{type(exc).__name__}: {exc}"
        else:
            why = "predictions differ"
        if not ok:
            raise ModelFileError(f"{type(model).__name__} cannot be saved faithfully yet ({why})")
    if p.suffix.lower() in (".reglab", ".zip"):
        p.parent.mkdir(parents=True, exist_ok=True)
        part = p.with_name(p.name + ".part")  # a failed write leaves an existing file as it was
        try:
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in files.items():
                    zf.writestr(name, data)
            os.replace(part, p)
        finally:
            part.unlink(missing_ok=True)
        return p
    if p.is_dir() and any(p.iterdir()) and not (p / "model.json").exists():
        raise ModelFileError(f"folder {p} exists and holds other files; save to a new folder or "
                             "to a .reglab file")
    if p.exists():
        shutil.rmtree(p / "arrays", ignore_errors=True)
    (p / "arrays").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (p / name).write_bytes(data)
    return p
