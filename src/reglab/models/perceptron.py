"""Rosenblatt's perceptron: a step activation on a linear score, trained by the perceptron rule.

.. math::

    \\hat y = \\operatorname{step}(x^\\top w + b), \\qquad \\operatorname{step}(z) = [z \\ge 0]

    w \\leftarrow w + \\eta\\,(y - \\hat y)\\,x, \\qquad b \\leftarrow b + \\eta\\,(y - \\hat y)

one sample at a time (``eta`` = ``learning_rate``): a correctly classified sample changes nothing;
a positive sample scored negative pulls ``w`` towards ``x``, a negative one scored positive pushes
it away. On linearly separable data the rule stops making mistakes after finitely many updates
(Novikoff's theorem), and fitting stops after the first epoch without a mistake.

The lecture's "crack/doink" example: a sentence is happy when ``#crack + #doink - 3.5 >= 0``, that
is weights ``(1, 1)`` and bias ``-3.5``; ``Perceptron().fit`` on counts labelled that way learns a
separating line (see ``docs/nn.md``). More than two classes are handled one-vs-rest: one
perceptron per class, all updated on every sample, and ``predict`` takes the largest score.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from reglab._warn import user_stacklevel
from reglab.core._xp import plain
from reglab.core.activations import get_activation
from reglab.models._mlp_base import check_labels, validate_finite_X

__all__ = ["Perceptron"]

_FORMAT_VERSION = 1


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt perceptron (step activation, perceptron learning rule).

    Parameters
    ----------
    learning_rate : float, default 1.0 (the rule is scale-invariant with zero start weights)
    max_iter : int, default 100 (epochs)
    shuffle : bool, default True; random_state : int or None (shuffling order)
    fit_intercept : bool, default True
    warm_start : bool, default False: ``fit`` continues from the current weights

    Attributes
    ----------
    coef_ : (n_features,) for two classes, (n_classes, n_features) otherwise
    intercept_ : (1,) or (n_classes,); classes_; n_iter_ : epochs run;
    errors_ : number of mistakes in each epoch; converged_ : True if an epoch had none
    """

    def __init__(self, learning_rate=1.0, max_iter=100, *, shuffle=True, random_state=None,
                 fit_intercept=True, warm_start=False):
        self.learning_rate, self.max_iter, self.shuffle = learning_rate, max_iter, shuffle
        self.random_state, self.fit_intercept = random_state, fit_intercept
        self.warm_start = warm_start

    def _targets(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        """``(n, K)`` 0/1 targets (``K = 1`` for two classes)."""
        y = column_or_1d(y, warn=True)
        check_labels(y, "Perceptron")
        check_classification_targets(y)
        if first:
            labels = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if labels.size < 2:
                raise ValueError(f"Perceptron needs samples of at least 2 classes; got only "
                                 f"one class: {plain(labels[0])!r}")
            self.classes_ = labels
        idx = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        bad = np.flatnonzero(self.classes_[idx] != y)
        if bad.size:
            raise ValueError(f"y has label {plain(y[bad[0]])!r} at row {bad[0]} that is not in "
                             f"classes_ {self.classes_.tolist()}")
        if len(self.classes_) == 2:
            return idx.astype(np.float64)[:, None]
        return np.eye(len(self.classes_))[idx]

    def _epoch(self, X: np.ndarray, T: np.ndarray, rng: np.random.Generator) -> int:
        """One pass of the perceptron rule; returns the number of mistakes."""
        W, b, lr = self._W, self._b, float(self.learning_rate)
        order = rng.permutation(X.shape[0]) if self.shuffle else range(X.shape[0])
        mistakes = 0
        for i in order:
            x = X[i]
            # step(z) = [z >= 0] inline (the core Step activation's definition, see
            # test_inline_step_is_core_step): a core call per sample would dominate the loop
            err = T[i] - (x @ W + b >= 0)
            if err.any():
                mistakes += 1
                W += lr * np.outer(x, err)
                if self.fit_intercept:
                    b += lr * err
        return mistakes

    def _step(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self._activation(z))

    def _fit(self, X: Any, y: Any, epochs: int, incremental: bool, classes: Any = None):
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if int(self.max_iter) < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        first = not (hasattr(self, "_W") and (incremental or self.warm_start))
        X = validate_finite_X(self, X, first, np.float64)
        T = self._targets(y, first, classes)
        if X.shape[0] != T.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {T.shape[0]}")
        self._activation = get_activation("step")
        if first:
            self._W = np.zeros((X.shape[1], T.shape[1]))
            self._b = np.zeros(T.shape[1])
            self.errors_, self.n_iter_, self.converged_ = [], 0, False
            self._rng = np.random.default_rng(self.random_state)
        for _ in range(epochs):
            mistakes = self._epoch(X, T, self._rng)
            self.errors_.append(mistakes)
            self.n_iter_ += 1
            self.converged_ = mistakes == 0
            if self.converged_ and not incremental:
                break
        return self

    def fit(self, X: Any, y: Any) -> Perceptron:
        """Up to ``max_iter`` epochs of the perceptron rule; stops after an error-free epoch.

        Warns ``ConvergenceWarning`` when ``max_iter`` runs out with mistakes left: on data that
        are not linearly separable the rule never stops making them."""
        self._fit(X, y, int(self.max_iter), incremental=False)
        if not self.converged_:
            warnings.warn(f"Perceptron: {self.errors_[-1]} mistake(s) in the last of max_iter="
                          f"{int(self.max_iter)} epochs; the data may not be linearly separable "
                          "(then the rule never stops making mistakes), or it needs more epochs",
                          ConvergenceWarning, stacklevel=user_stacklevel())
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> Perceptron:
        """Exactly one epoch, continuing from the current weights."""
        return self._fit(X, y, 1, incremental=True, classes=classes)

    @property
    def coef_(self) -> np.ndarray:
        check_is_fitted(self, "_W")
        return self._W[:, 0].copy() if self._W.shape[1] == 1 else self._W.T.copy()

    @property
    def intercept_(self) -> np.ndarray:
        check_is_fitted(self, "_W")
        return self._b.copy()

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores ``X @ w + b``: ``(n_samples,)`` for two classes, else ``(n, n_classes)``."""
        check_is_fitted(self, "_W")
        X = validate_finite_X(self, X, False, np.float64, "predicting")
        z = X @ self._W + self._b
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X: Any) -> np.ndarray:
        """``step(score)`` for two classes; the class with the largest score otherwise."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return self.classes_[self._step(z).astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def summary(self) -> str:
        """Text summary: the classes, the weights of each class's score ``x @ w + b`` by
        feature, and the mistakes per epoch (an error-free epoch means the rule converged:
        the training data are linearly separated by these weights)."""
        check_is_fitted(self, "_W")
        names = [str(n) for n in getattr(self, "feature_names_in_",
                                         [f"x{j}" for j in range(self._W.shape[0])])]
        cols = ([f"score {self.classes_[1]}"] if self._W.shape[1] == 1 else
                [f"score {c}" for c in self.classes_])
        width = max(len(n) for n in [*names, "intercept"])
        state = (f"converged in epoch {self.n_iter_} (no mistakes)" if self.converged_ else
                 f"not converged after {self.n_iter_} epoch{'s' if self.n_iter_ != 1 else ''}")
        lines = [f"Perceptron: {len(self.classes_)} classes "
                 f"({', '.join(str(c) for c in self.classes_)}), {state}",
                 "", "  " + " " * width + "".join(f"{c:>14}" for c in cols)]
        for j, name in enumerate(names):
            lines.append(f"  {name:<{width}}" + "".join(f"{w:>14.6g}" for w in self._W[j]))
        lines.append(f"  {'intercept':<{width}}" + "".join(f"{b:>14.6g}" for b in self._b))
        shown = self.errors_ if len(self.errors_) <= 20 else [*self.errors_[:10], "...",
                                                               *self.errors_[-10:]]
        lines += ["", "mistakes per epoch: " + " ".join(str(e) for e in shown)]
        return "\n".join(lines)

    def to_dict(self, as_lists: bool = False) -> dict:
        """Hyperparameters and weights as data: NumPy arrays, or lists with ``as_lists=True``."""
        check_is_fitted(self, "_W")
        params = self.get_params()
        if not isinstance(params["random_state"], int | type(None)):
            params["random_state"] = None
        out = {"format": "reglab.models.Perceptron", "version": _FORMAT_VERSION,
               "params": params, "W": self._W.tolist() if as_lists else self._W.copy(),
               "b": self._b.tolist() if as_lists else self._b.copy(),
               "classes": self.classes_.tolist(), "n_features_in": int(self.n_features_in_),
               "errors": [int(e) for e in self.errors_]}
        if hasattr(self, "feature_names_in_"):
            out["feature_names_in"] = [str(c) for c in self.feature_names_in_]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Perceptron:
        if data.get("format") != "reglab.models.Perceptron" or \
                data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"not a reglab.models.Perceptron v{_FORMAT_VERSION} dict: "
                             f"format={data.get('format')!r}, version={data.get('version')!r}")
        est = cls(**data["params"])
        est._W, est._b = np.asarray(data["W"], dtype=np.float64), np.asarray(data["b"])
        est.classes_ = np.asarray(data["classes"])
        est.n_features_in_ = int(data["n_features_in"])
        if "feature_names_in" in data:
            est.feature_names_in_ = np.asarray(data["feature_names_in"], dtype=object)
        est.errors_ = list(data["errors"])
        est.n_iter_, est.converged_ = len(est.errors_), bool(est.errors_ and not est.errors_[-1])
        est._activation = get_activation("step")
        est._rng = np.random.default_rng(est.random_state)
        return est
