"""Model-file codecs for the composites ``reglab compare`` builds around reglab's estimators: a
scikit-learn ``Pipeline`` of ``StandardScaler`` / ``PolynomialFeatures`` /
:class:`reglab._poly.QuadraticFeatures` steps, a ``TransformedTargetRegressor`` (standardised
response) and the exposure wrapper :class:`reglab._ladder.Exposed`.

Each nested estimator is stored as ``{"kind": ..., "state": ...}`` through the registered codec
of its own kind, so a composite is data like any other model (no pickle). The transformers are
rebuilt from what defines them: a scaler from its ``mean_``, ``var_`` and ``scale_``;
polynomial features by fitting them again on one row of the right width and names (their fitted
state is the input width and names only); quadratic features from their kept terms
(``powers_``), which a refit on one row could not recover.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["register_composites"]


def _nested_to(model: Any) -> dict:
    from reglab.io import MODEL_KINDS, kind_of

    kind = kind_of(model)
    return {"kind": kind, "state": MODEL_KINDS[kind].to_dict(model)}


def _nested_from(d: dict) -> Any:
    from reglab.io import MODEL_KINDS, ModelFileError

    if d.get("kind") not in MODEL_KINDS:
        raise ModelFileError(f"unknown nested model kind {d.get('kind')!r}")
    return MODEL_KINDS[d["kind"]].from_dict(d["state"])


def _names(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


# ---- transformers -------------------------------------------------------------------------
def _scaler_to(m: Any) -> dict:
    return {"params": m.get_params(), "mean": m.mean_, "var": m.var_, "scale": m.scale_,
            "n_samples_seen": np.asarray(m.n_samples_seen_), "names": _names(m),
            "n_features": int(m.n_features_in_)}


def _scaler_from(d: dict) -> Any:
    from sklearn.preprocessing import StandardScaler

    m = StandardScaler(**d["params"])
    for attr, key in (("mean_", "mean"), ("var_", "var"), ("scale_", "scale")):
        setattr(m, attr, None if d[key] is None else np.asarray(d[key], float))
    seen = np.asarray(d["n_samples_seen"])
    m.n_samples_seen_ = seen.item() if seen.ndim == 0 else seen
    m.n_features_in_ = d["n_features"]
    if d["names"] is not None:
        m.feature_names_in_ = np.asarray(d["names"], dtype=object)
    return m


def _poly_to(m: Any) -> dict:
    return {"params": m.get_params(), "names": _names(m), "n_features": int(m.n_features_in_)}


def _poly_from(d: dict) -> Any:
    from sklearn.preprocessing import PolynomialFeatures

    from reglab.io import ModelFileError

    n = d["n_features"]
    if not isinstance(n, int) or not 0 < n <= 100_000 or (d["names"] is not None
                                                          and len(d["names"]) != n):
        raise ModelFileError(f"polynomial features: {n!r} input columns does not fit the names")
    one = np.zeros((1, n))
    return PolynomialFeatures(**d["params"]).fit(
        one if d["names"] is None else pd.DataFrame(one, columns=d["names"]))


def _quad_to(m: Any) -> dict:
    return {"powers": np.asarray(m.powers_, np.int64), "names": _names(m),
            "n_features": int(m.n_features_in_)}


def _quad_from(d: dict) -> Any:
    """The fitted terms as stored, checked: ``powers (k, n_features)`` of 0/1/2 with every
    column once alone first, then terms of degree 2."""
    from reglab._poly import QuadraticFeatures
    from reglab.io import ModelFileError

    n, names = d["n_features"], d["names"]
    powers = np.asarray(d["powers"])
    if (not isinstance(n, int) or not 0 < n <= 100_000 or powers.ndim != 2
            or powers.shape[0] < n or powers.shape[1] != n or powers.dtype.kind not in "iu"
            or not np.array_equal(powers[:n], np.eye(n)) or np.any(powers < 0)
            or np.any(powers[n:].sum(axis=1) != 2) or (names is not None and len(names) != n)):
        raise ModelFileError(f"quadratic features: terms of shape {powers.shape} do not fit "
                             f"{n!r} input columns")
    m = QuadraticFeatures()
    m.powers_ = powers.astype(np.int64)
    m.n_features_in_, m.n_output_features_ = n, powers.shape[0]
    if names is not None:
        m.feature_names_in_ = np.asarray(names, dtype=object)
    return m


# ---- composites ---------------------------------------------------------------------------
def _pipeline_to(m: Any) -> dict:
    config = getattr(m.steps[0][1], "_sklearn_output_config", {}) or {}
    return {"steps": [[name, _nested_to(step)] for name, step in m.steps],
            "output": config.get("transform")}


def _pipeline_from(d: dict) -> Any:
    from sklearn.pipeline import Pipeline

    pipe = Pipeline([(name, _nested_from(step)) for name, step in d["steps"]])
    return pipe.set_output(transform=d["output"]) if d["output"] else pipe


def _target_to(m: Any) -> dict:
    return {"regressor": _nested_to(m.regressor_), "transformer": _nested_to(m.transformer_),
            "training_dim": int(m._training_dim)}


def _target_from(d: dict) -> Any:
    from sklearn.compose import TransformedTargetRegressor

    regressor, transformer = _nested_from(d["regressor"]), _nested_from(d["transformer"])
    m = TransformedTargetRegressor(regressor=regressor, transformer=transformer)
    m.regressor_, m.transformer_, m._training_dim = regressor, transformer, d["training_dim"]
    return m


def _exposed_to(m: Any) -> dict:
    return {"offset": bool(m.offset), "regressor": _nested_to(m.regressor_)}


def _exposed_from(d: dict) -> Any:
    from reglab._ladder import Exposed

    regressor = _nested_from(d["regressor"])
    m = Exposed(regressor, offset=d["offset"])
    m.regressor_ = regressor
    return m


def register_composites(register: Any) -> None:
    """Register the codecs with ``register(kind, cls, to_dict, from_dict)``."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from reglab._ladder import Exposed
    from reglab._poly import QuadraticFeatures

    register("standard_scaler", StandardScaler, _scaler_to, _scaler_from)
    register("polynomial_features", PolynomialFeatures, _poly_to, _poly_from)
    register("quadratic_features", QuadraticFeatures, _quad_to, _quad_from)
    register("pipeline", Pipeline, _pipeline_to, _pipeline_from)
    register("target_transformer", TransformedTargetRegressor, _target_to, _target_from)
    register("exposure_rate", Exposed, _exposed_to, _exposed_from)
