"""Saving a fitted GAM as plain JSON (arrays as lists + versioned metadata; never pickle).

``to_dict(model)`` stores the family (``Family.to_dict``), the constructor parameters, every fitted
term (knots, centring constraint ``Z``, factor levels), the coefficients, ``Vp_`` and the summary
statistics; ``from_dict(GAM, d)`` rebuilds a model whose ``predict``, ``partial_dependence`` and
``summary`` match the original. A formula's parametric part (formulaic expressions such as
``np.log(x)``, ``C(g)``, ``center(x)``) is stored as its formula, levels and transform state
(:func:`reglab.models._formula.formula_spec_to_dict`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from reglab.core.families import get_family
from reglab.models._formula import formula_spec_from_dict, formula_spec_to_dict
from reglab.models._splines import term_from_dict

__all__ = ["to_dict", "from_dict", "FORMAT", "VERSION"]

FORMAT, VERSION = "reglab.GAM", 1
_FITTED = ("intercept_", "coef_", "Vp_", "lam_", "scale_", "df_resid_", "edf_", "edf_total_",
           "deviance_", "null_deviance_", "deviance_explained_", "aic_", "r2_adj_", "score_",
           "method_", "n_samples_", "smooth_tests_", "n_iter_")
_OPTIONAL = ("design_shift_", "Vp_centred_")


def to_dict(model: Any) -> dict:
    """JSON-ready description of a fitted ``GAM``."""
    spec = getattr(model, "formula_spec_", None)
    try:
        spec = None if spec is None else formula_spec_to_dict(spec)
    except TypeError as exc:
        raise ValueError(f"this GAM's formula cannot be saved: {exc}") from exc
    fitted = {}
    for key in _FITTED:
        v = getattr(model, key)
        fitted[key] = v.tolist() if isinstance(v, np.ndarray) else v
    fitted["ranges_"] = {str(j): list(r) for j, r in model.ranges_.items()}
    for key in _OPTIONAL:  # the column centring of the fit, when there was one
        v = getattr(model, key, None)
        if v is not None:
            fitted[key] = np.asarray(v).tolist()
    names = getattr(model, "feature_names_in_", None)
    return {"format": FORMAT, "version": VERSION, "family": model.family_.to_dict(),
            "params": {"method": model.method, "k": model.k, "tol": model.tol,
                       "max_iter": model.max_iter,
                       "lam": None if model.lam is None else np.asarray(model.lam).tolist()},
            "feature_names": None if names is None else [str(c) for c in names],
            "n_features_in": model.n_features_in_,
            "formula": getattr(model, "formula_", None),
            "formula_raw": getattr(model, "formula_raw_", None), "formula_spec": spec,
            "terms": [{**t.to_dict(), "names": list(t.names_) if t.names_ else None}
                      for t in model.terms_], "fitted": fitted}


def from_dict(cls: type, d: dict) -> Any:
    """Rebuild a fitted ``cls`` (GAM) from :func:`to_dict` output."""
    if d.get("format") != FORMAT or d.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} v{VERSION} model: format {d.get('format')!r}, "
                         f"version {d.get('version')!r}")
    family = get_family(d["family"])
    terms = [term_from_dict(t) for t in d["terms"]]
    for term, td in zip(terms, d["terms"]):  # display names (absent in files of early v1)
        term.names_ = tuple(td["names"]) if td.get("names") else None
    est = cls(terms=copy.deepcopy(terms), family=family, **d["params"])
    est.terms_, est.family_ = terms, family
    est.n_features_in_ = d["n_features_in"]
    if d["feature_names"] is not None:
        est.feature_names_in_ = np.asarray(d["feature_names"], dtype=object)
    f = d["fitted"]
    for key in _FITTED:
        v = f[key]
        setattr(est, key, np.asarray(v, dtype=np.float64) if isinstance(v, list) else v)
    for key in _OPTIONAL:  # absent from files of fits without centring (or written before)
        setattr(est, key, None if f.get(key) is None else np.asarray(f[key], dtype=np.float64))
    est.smooth_tests_ = {k: tuple(v) for k, v in f["smooth_tests_"].items()}
    est.ranges_ = {int(j): tuple(r) for j, r in f["ranges_"].items()}
    sizes = np.cumsum([1] + [t.basis_size for t in terms])
    est.slices_ = [slice(int(a), int(b)) for a, b in zip(sizes[:-1], sizes[1:])]
    if d.get("formula"):
        spec = d.get("formula_spec")  # absent in files written before expressions were saved
        est.formula_, est.formula_raw_ = d["formula"], d["formula_raw"]
        est.formula_spec_ = None if spec is None else formula_spec_from_dict(spec)
    return est
