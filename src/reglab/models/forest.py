"""Random forests: thin shells over scikit-learn's forests with the lecture's ``max_nodes``.

The lecture grows forests from ``maxnodes = 1`` (every tree is one leaf: the bootstrap mean) to
``maxnodes = 10^4`` (nearly fully grown trees) to show the bias/variance trade-off. scikit-learn's
forests are the implementation (no tree code is written here); this module only

- maps ``max_nodes`` (maximum number of leaves per tree) to scikit-learn's ``max_leaf_nodes``
  (``max_nodes = 1``, which scikit-learn does not accept, becomes a split threshold no split can
  reach, so every tree is a single leaf);
- answers bad input with errors that name the column and row (as reglab's GLMs do);
- exposes reglab's common hooks: ``feature_names_``, ``partial_dependence`` and ``plot``.

Shapes: ``X`` is ``(n_samples, n_features)``; ``y`` is ``(n_samples,)``.

Saving: ``to_dict``/``from_dict`` (and so ``reglab.io.save_model``) store every tree's node
arrays and values as data (see :mod:`reglab.models._forest_io`); never pickle.
"""

from __future__ import annotations

import numpy as np
from sklearn import ensemble
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.inspection import partial_dependence as _sk_partial_dependence
from sklearn.utils.validation import check_is_fitted, validate_data

from reglab.models import _forest_io

__all__ = ["RandomForestRegressor", "RandomForestClassifier"]

# A split is made only when it lowers the weighted impurity by at least this much; no impurity
# decrease can reach the largest finite double, so max_nodes=1 grows single-leaf trees.
_NO_SPLIT = float(np.finfo(np.float64).max)


def _reject_nonfinite(X: np.ndarray, names: list[str]) -> None:
    """Raise ValueError naming the first NaN/inf entry (column name and row index)."""
    bad = ~np.isfinite(X)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"column {names[j]!r} contains NaN or inf (row {i}: value {X[i, j]})")


def _reject_nonfinite_y(y) -> None:
    """Name the first NaN/inf target value (non-numeric targets are left to scikit-learn)."""
    arr = np.asarray(y)
    if arr.dtype.kind in "fiub" and arr.ndim >= 1 and arr.size:
        arr = arr.astype(np.float64).reshape(arr.shape[0], -1)
        _reject_nonfinite(arr, ["y"] * arr.shape[1])


class _ForestShell(BaseEstimator):
    """Shared fit/predict plumbing; subclasses name the scikit-learn forest they wrap."""

    _sk_forest: type

    def _forest_params(self) -> dict:
        if self.max_nodes is not None and (
            isinstance(self.max_nodes, bool) or not isinstance(self.max_nodes, int | np.integer)
            or self.max_nodes < 1
        ):
            raise ValueError(
                f"max_nodes must be a positive integer or None, got {self.max_nodes!r}")
        params = dict(n_estimators=self.n_estimators, max_features=self.max_features,
                      min_samples_leaf=self.min_samples_leaf, bootstrap=self.bootstrap,
                      oob_score=self.oob_score, n_jobs=self.n_jobs, random_state=self.random_state,
                      max_samples=self.max_samples)
        if self.max_nodes == 1:
            params["min_impurity_decrease"] = _NO_SPLIT
        else:
            params["max_leaf_nodes"] = self.max_nodes
        return params

    def _validate_X(self, X) -> np.ndarray:
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        _reject_nonfinite(X, self.feature_names_)
        return X

    def fit(self, X, y, sample_weight=None):
        """Fit ``n_estimators`` trees of at most ``max_nodes`` leaves on bootstrap samples.

        X : array-like (n_samples, n_features); y : (n_samples,); sample_weight : (n_samples,).
        A failed fit (bad input) leaves a previously fitted estimator unchanged.
        """
        # Validate on an unfitted copy, so that bad input leaves this estimator untouched.
        probe = type(self)(**self.get_params())
        if isinstance(self, RegressorMixin):
            _reject_nonfinite_y(y)
        X, y = validate_data(probe, X, y, dtype=np.float64, ensure_all_finite=False,
                             y_numeric=isinstance(self, RegressorMixin))
        _reject_nonfinite(X, probe.feature_names_)
        forest = self._sk_forest(**self._forest_params()).fit(X, y, sample_weight=sample_weight)
        self.forest_ = forest
        self.n_features_in_ = X.shape[1]
        if hasattr(probe, "feature_names_in_"):
            self.feature_names_in_ = probe.feature_names_in_
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        self.feature_importances_ = forest.feature_importances_
        if self.oob_score:
            self.oob_score_ = forest.oob_score_
        if hasattr(forest, "classes_"):
            self.classes_ = forest.classes_
        return self

    @property
    def feature_names_(self) -> list[str]:
        """Column names seen in fit (a DataFrame's columns, otherwise ``x0, x1, ...``)."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{j}" for j in range(getattr(self, "n_features_in_", 0))]

    def to_dict(self) -> dict:
        """The fitted forest as data: node arrays of every tree plus versioned metadata."""
        check_is_fitted(self, "forest_")
        return _forest_io.to_dict(self)

    @classmethod
    def from_dict(cls, d: dict):
        """Rebuild a fitted forest from :meth:`to_dict` output (same predictions, exactly)."""
        return _forest_io.from_dict(cls, d)

    def summary(self) -> str:
        """Text summary: the forest's size, the out-of-bag score and the impurity-based feature
        importances (mean decrease in impurity, summing to 1), largest first."""
        check_is_fitted(self, "forest_")
        kind = "classification" if hasattr(self, "classes_") else "regression"
        depth = max(est.tree_.max_depth for est in self.forest_.estimators_)
        leaves = np.mean([est.tree_.n_leaves for est in self.forest_.estimators_])
        lines = [f"Random forest ({kind}): {len(self.forest_.estimators_)} trees, max_nodes "
                 f"{self.max_nodes}, mean leaves per tree {leaves:.1f}, max depth {depth}"]
        if hasattr(self, "classes_"):
            lines.append(f"classes: {', '.join(str(c) for c in self.classes_)}")
        if hasattr(self, "oob_score_"):
            metric = "accuracy" if kind == "classification" else "R^2"
            lines.append(f"out-of-bag {metric}: {self.oob_score_:.4f}")
        lines += ["", "Feature importances (mean decrease in impurity):"]
        order = np.argsort(-self.feature_importances_, kind="stable")
        width = max(len(n) for n in self.feature_names_)
        lines += [f"  {self.feature_names_[j]:<{width}}  {self.feature_importances_[j]:.4f}"
                  for j in order]
        return "\n".join(lines)

    def predict(self, X) -> np.ndarray:
        """Forest prediction, shape (n_samples,): the mean (regression) or majority class."""
        check_is_fitted(self, "forest_")
        return self.forest_.predict(self._validate_X(X))

    def partial_dependence(self, X, feature: int | str, grid_resolution: int = 50) -> dict:
        """Average prediction over the rows of ``X`` as ``feature`` sweeps a grid.

        X : (n_samples, n_features), usually the training data. Returns
        ``{"x": grid (g,), "fit": average prediction (g,)}`` (for a classifier, the probability
        of the last class), the data that :meth:`plot` draws.
        """
        check_is_fitted(self, "forest_")
        names = self.feature_names_
        j = names.index(feature) if feature in names else feature
        if isinstance(j, str) or not 0 <= int(j) < len(names):
            raise ValueError(f"feature {feature!r} is not one of {names}")
        res = _sk_partial_dependence(self.forest_, self._validate_X(X), [int(j)],
                                     grid_resolution=grid_resolution, kind="average")
        return {"x": np.asarray(res["grid_values"][0]), "fit": np.asarray(res["average"][-1])}

    def plot(self, X, features=None, axes=None):
        """Partial-dependence curve of each feature (default: all), one matplotlib axis each."""
        import matplotlib.pyplot as plt

        features = list(range(self.n_features_in_)) if features is None else list(features)
        if axes is None:
            _, axes = plt.subplots(1, len(features), figsize=(3.2 * len(features), 3),
                                   squeeze=False)
            axes = axes[0]
        for ax, feat in zip(axes, features):
            pd_ = self.partial_dependence(X, feat)
            ax.plot(pd_["x"], pd_["fit"])
            ax.set_xlabel(feat if isinstance(feat, str) else self.feature_names_[feat])
            ax.set_ylabel("partial dependence")
        return axes


class RandomForestRegressor(RegressorMixin, _ForestShell):
    """Random forest regression (scikit-learn's), with the lecture's ``max_nodes``.

    Parameters
    ----------
    n_estimators : int
        Number of trees.
    max_nodes : int or None
        Maximum number of leaves per tree (R randomForest's ``maxnodes``; scikit-learn's
        ``max_leaf_nodes``). ``1`` gives single-leaf trees (the bootstrap mean); None grows
        trees until the leaves hold ``min_samples_leaf`` samples.
    max_features, min_samples_leaf, bootstrap, oob_score, n_jobs, random_state, max_samples
        Passed to :class:`sklearn.ensemble.RandomForestRegressor` unchanged (``max_samples``:
        the bootstrap sample of each tree, rows or a fraction; R's ``sampsize``). scikit-learn's
        defaults, not R's: ``max_features=1.0`` tries every feature at each split (bagging; R's
        ``mtry = floor(p/3)`` is ``max_features=1/3``) and leaves down to one row (R's
        regression trees have a minimum node size, ``nodesize = 5``).

    Attributes
    ----------
    forest_ : sklearn.ensemble.RandomForestRegressor
    feature_importances_ : ndarray (n_features,)
    """

    _sk_forest = ensemble.RandomForestRegressor

    def __init__(self, n_estimators=100, *, max_nodes=None, max_features=1.0, min_samples_leaf=1,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None,
                 max_samples=None):
        self.max_samples = max_samples
        self.n_estimators = n_estimators
        self.max_nodes = max_nodes
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state


class RandomForestClassifier(ClassifierMixin, _ForestShell):
    """Random forest classification (scikit-learn's), with the lecture's ``max_nodes``.

    Parameters are those of :class:`RandomForestRegressor` (``max_features`` defaults to
    ``"sqrt"`` as in scikit-learn's classifier).

    Attributes
    ----------
    forest_ : sklearn.ensemble.RandomForestClassifier
    classes_ : ndarray (n_classes,)
    feature_importances_ : ndarray (n_features,)
    """

    _sk_forest = ensemble.RandomForestClassifier

    def __init__(self, n_estimators=100, *, max_nodes=None, max_features="sqrt",
                 min_samples_leaf=1, bootstrap=True, oob_score=False, n_jobs=None,
                 random_state=None, max_samples=None):
        self.max_samples = max_samples
        self.n_estimators = n_estimators
        self.max_nodes = max_nodes
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes): the trees' mean leaf frequencies."""
        check_is_fitted(self, "forest_")
        return self.forest_.predict_proba(self._validate_X(X))
