"""Saving a fitted random forest as data: node arrays plus versioned JSON, never pickle.

A scikit-learn tree is a table of nodes (children, split feature and threshold, impurity, sample
counts, the missing-value direction) and a value array (n_nodes, n_outputs, n_classes). All trees
of a forest are stored concatenated, field by field, with each tree's node count; loading builds
each ``sklearn.tree._tree.Tree`` from those arrays through the state protocol scikit-learn uses
for its own copies (``Tree.__setstate__``), inside fresh estimators. The node layout is checked
against the running scikit-learn's (its field names are stored), so a file whose layout this
scikit-learn does not share is refused with a clear error instead of predicting garbage; the
save itself is verified by reloading and predicting (``save_model(..., X_check=X)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sklearn
from sklearn.base import clone

__all__ = ["to_dict", "from_dict", "FORMAT", "VERSION"]

FORMAT, VERSION = "reglab.RandomForest", 1


def _node_dtype() -> np.dtype:
    from sklearn.tree._tree import NODE_DTYPE

    return np.dtype(NODE_DTYPE)


def to_dict(model: Any) -> dict:
    """JSON-ready description of a fitted reglab random forest (arrays as numpy arrays)."""
    forest = model.forest_
    trees = [est.tree_ for est in forest.estimators_]
    dtype = _node_dtype()
    states = [t.__getstate__() for t in trees]
    nodes = np.concatenate([s["nodes"] for s in states])
    out = {"format": FORMAT, "version": VERSION, "sklearn": sklearn.__version__,
           "params": model.get_params(deep=False), "n_features_in": int(model.n_features_in_),
           "n_outputs": int(forest.n_outputs_),
           "n_classes": np.atleast_1d(np.asarray(trees[0].n_classes, dtype=np.int64)),
           "node_fields": list(dtype.names),
           "node_counts": np.array([s["node_count"] for s in states]),
           "max_depths": np.array([s["max_depth"] for s in states]),
           "nodes": {f: np.ascontiguousarray(nodes[f]) for f in dtype.names},
           "values": np.concatenate([s["values"] for s in states]),
           "max_features": [int(est.max_features_) for est in forest.estimators_],
           "feature_importances": np.asarray(model.feature_importances_)}
    names = getattr(model, "feature_names_in_", None)
    out["feature_names"] = None if names is None else [str(c) for c in names]
    if hasattr(model, "classes_"):
        out["classes"] = np.asarray(model.classes_)
    if hasattr(model, "oob_score_"):
        out["oob_score"] = float(model.oob_score_)
    return out


def _trees(d: dict) -> list:
    from sklearn.tree._tree import Tree

    dtype = _node_dtype()
    if list(dtype.names) != list(d["node_fields"]):
        raise ValueError(f"forest saved with scikit-learn {d['sklearn']} (tree nodes "
                         f"{d['node_fields']}) cannot be rebuilt by scikit-learn "
                         f"{sklearn.__version__} (tree nodes {list(dtype.names)})")
    n_classes = np.asarray(d["n_classes"], dtype=np.intp)
    counts = np.asarray(d["node_counts"], dtype=np.int64)
    ends = np.cumsum(counts)
    values = np.asarray(d["values"], dtype=np.float64)
    trees = []
    for t, (a, b) in enumerate(zip(ends - counts, ends)):
        nodes = np.empty(int(b - a), dtype=dtype)
        for f in dtype.names:
            nodes[f] = np.asarray(d["nodes"][f])[a:b]
        tree = Tree(int(d["n_features_in"]), n_classes, int(d["n_outputs"]))
        tree.__setstate__({"max_depth": int(d["max_depths"][t]), "node_count": int(b - a),
                           "nodes": nodes, "values": np.ascontiguousarray(values[a:b])})
        trees.append(tree)
    return trees


def from_dict(cls: type, d: dict) -> Any:
    """Rebuild a fitted ``cls`` (RandomForestRegressor/Classifier) from :func:`to_dict` output."""
    if d.get("format") != FORMAT or d.get("version") != VERSION:
        raise ValueError(f"not a {FORMAT} v{VERSION} model: format {d.get('format')!r}, "
                         f"version {d.get('version')!r}")
    model = cls(**d["params"])
    forest = model._sk_forest(**model._forest_params())
    forest.estimator_ = clone(forest.estimator)
    forest.estimator_.set_params(**{p: getattr(forest, p) for p in forest.estimator_params})
    classes = d.get("classes")
    estimators = []
    for tree, mf in zip(_trees(d), d["max_features"]):
        est = clone(forest.estimator_)
        est.n_features_in_, est.n_outputs_, est.max_features_ = (
            int(d["n_features_in"]), int(d["n_outputs"]), int(mf))
        if classes is not None:
            est.classes_, est.n_classes_ = np.arange(len(classes)), len(classes)
        est.tree_ = tree
        estimators.append(est)
    forest.estimators_ = estimators
    forest.n_features_in_, forest.n_outputs_ = int(d["n_features_in"]), int(d["n_outputs"])
    model.n_features_in_ = int(d["n_features_in"])
    if d.get("feature_names") is not None:  # the shell's: its forest is fitted on arrays
        model.feature_names_in_ = np.asarray(d["feature_names"], dtype=object)
    if classes is not None:
        forest.classes_, forest.n_classes_ = np.asarray(classes), len(classes)
        model.classes_ = np.asarray(classes)
    if "oob_score" in d:
        model.oob_score_ = d["oob_score"]
    model.forest_ = forest
    model.feature_importances_ = np.asarray(d["feature_importances"], dtype=np.float64)
    return model
