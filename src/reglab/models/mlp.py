"""Multi-layer perceptrons: ``MLPRegressor`` (any family or robust loss) and ``MLPClassifier``.

Thin scikit-learn shells over :mod:`reglab.nn`. The network is ``Dense -> activation`` per hidden
layer and a linear output whose ``eta`` feeds a family: the regressor's ``family`` (gaussian,
poisson, gamma, negative_binomial, tweedie, or the robust losses ``absolute_error`` / ``huber``);
the classifier's binomial (one logit, two classes) or categorical (one logit per class). The
objective is the (sample-weighted) mean of half the unit deviance plus ``alpha/2 * sum ||W||^2``
over the weights; see ``docs/nn.md``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from reglab.core._xp import plain
from reglab.models._mlp_base import _BaseMLP, check_labels

__all__ = ["MLPRegressor", "MLPClassifier"]


def _not_numeric(y: np.ndarray, model: str) -> str:
    """The message for a regressor's target that is not all numbers, naming the first bad row."""
    for i, v in enumerate(y.tolist()):
        try:
            float(v)
        except (TypeError, ValueError):
            return (f"{model}: y (the target) must be numeric, but row {i} is {v!r}; a regressor "
                    f"predicts numbers (MLPClassifier predicts labels)")
    return f"{model}: y (the target) must be numeric, got dtype {y.dtype}"


_COMMON_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
    activation : str or list of str (one per hidden layer), default "relu"; any name of
        ``reglab.core.activations``
    optimizer : "adam" (default), "sgd", "momentum", "nesterov", "rmsprop", "adamw", "lbfgs"
    learning_rate : float, default 1e-3, the initial step size (scikit-learn's
        ``learning_rate_init``), or a schedule: a function of the update count such as
        ``reglab.core.optimizers.cosine_decay(0.01, 1000)``
    momentum : float in [0, 1), default 0.9 (momentum / nesterov)
    batch_size : int, default 200; max_iter : int, default 200 (epochs; iterations for lbfgs)
    alpha : float, default 0.0, L2 penalty ``alpha/2 * sum ||W||^2`` on the weights
    shuffle : bool, default True
    early_stopping : bool, default False: hold out ``validation_fraction`` of the data, stop
        when the validation loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        restore the best weights. Without it training stops when the training loss stalls.
    dropout : float or list, default 0.0 (inverted dropout after each hidden activation)
    init : None or "auto" (default: matched to each hidden layer's activation: He for ReLU,
        Glorot for tanh/sigmoid, LeCun for SELU), "glorot" (scikit-learn's scheme), "torch"
        (PyTorch's nn.Linear scheme) or another name of ``reglab.core.init``; see
        :func:`reglab.nn.build_network`
    random_state : int or None; dtype : "float32" (default) or "float64"
    warm_start : bool, default False: ``fit`` continues from the current weights and
        optimizer state
    verbose : "auto" (progress bar when stderr is a terminal), True or False

    Attributes
    ----------
    network_ : reglab.nn.Sequential; coefs_, intercepts_ : lists of arrays (copies);
    loss_curve_ : training objective per epoch; history_ : list of per-epoch dicts;
    n_iter_ : epochs run; n_features_in_; family_ : the output head the network trains and
    predicts with (a core family with its link, e.g. Poisson/log, or a robust loss), as GLM's
"""


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = ("""Multi-layer perceptron regressor whose output layer is a GLM.

    ``family``: "gaussian" (default, squared error), "poisson", "gamma", "inverse_gaussian",
    "negative_binomial", "tweedie", a core Family object, or a robust loss
    ("absolute_error", "huber" from ``reglab.core.losses``). ``predict`` returns the mean
    ``mu = link^{-1}(eta)``.
""" + _COMMON_DOC)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, family="gaussian",
                 optimizer="adam", learning_rate=1e-3, momentum=0.9, batch_size=200,
                 max_iter=200, alpha=0.0, shuffle=True, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, dropout=0.0,
                 random_state=None, dtype="float32", warm_start=False, verbose="auto", init=None):
        self.hidden_layer_sizes, self.activation = hidden_layer_sizes, activation
        self.family = family
        self.optimizer, self.learning_rate, self.momentum = optimizer, learning_rate, momentum
        self.batch_size, self.max_iter = batch_size, max_iter
        self.alpha, self.shuffle = alpha, shuffle
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.n_iter_no_change, self.tol, self.dropout = n_iter_no_change, tol, dropout
        self.random_state, self.dtype, self.warm_start = random_state, dtype, warm_start
        self.verbose, self.init = verbose, init

    def _loss(self) -> Any:
        return self._head()

    def _head(self) -> Any:
        from reglab.nn import get_head

        # (gamma and inverse_gaussian by name get the log link there; a family object whose
        # link cannot keep mu valid for every eta is refused there)
        return get_head(self.family)

    def _n_outputs(self) -> int:
        return 1

    def _stratify(self, y: np.ndarray) -> None:
        return None

    def _prepare_y(self, y: Any, first: bool, incremental: bool) -> np.ndarray:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = column_or_1d(np.asarray(y), warn=True)
        try:
            y = y.astype(np.dtype(self.dtype))
        except (TypeError, ValueError):
            raise ValueError(_not_numeric(y, type(self).__name__)) from None
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise ValueError(f"y contains a non-finite value {y[bad[0]]} at row {bad[0]}")
        head = self._head()
        if hasattr(head, "check_y"):
            head.check_y(y)
        return y

    def _metrics(self) -> dict:
        head = self._head()

        def r2(yv: np.ndarray, eta: np.ndarray) -> float:
            mu = np.asarray(head.mean(eta[:, 0]), dtype=np.float64)
            ss = float(np.sum((yv - yv.mean()) ** 2))
            return 1.0 - float(np.sum((yv - mu) ** 2)) / ss if ss > 0 else 0.0

        return {"score": r2}

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Exactly one epoch over ``(X, y)``, continuing from the current state."""
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Mean ``mu = link^{-1}(eta)``, shape ``(n_samples,)``, float64."""
        eta = self._eta(X)[:, 0]
        return np.asarray(self._head().mean(eta), dtype=np.float64)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = ("""Multi-layer perceptron classifier: binomial output (one logit) for two
    classes, categorical (softmax over one logit per class) for more. Labels may be any
    sortable values (strings included); ``classes_`` holds them in sorted order.
""" + _COMMON_DOC)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam",
                 learning_rate=1e-3, momentum=0.9, batch_size=200, max_iter=200, alpha=0.0,
                 shuffle=True, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, dropout=0.0, random_state=None,
                 dtype="float32", warm_start=False, verbose="auto", init=None):
        self.hidden_layer_sizes, self.activation = hidden_layer_sizes, activation
        self.optimizer, self.learning_rate, self.momentum = optimizer, learning_rate, momentum
        self.batch_size, self.max_iter = batch_size, max_iter
        self.alpha, self.shuffle = alpha, shuffle
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.n_iter_no_change, self.tol, self.dropout = n_iter_no_change, tol, dropout
        self.random_state, self.dtype, self.warm_start = random_state, dtype, warm_start
        self.verbose, self.init = verbose, init

    def _loss(self) -> str:
        return "binomial" if len(self.classes_) == 2 else "categorical"

    def _n_outputs(self) -> int:
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _prepare_y(self, y: Any, first: bool, incremental: bool) -> np.ndarray:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = column_or_1d(y, warn=True)
        check_labels(y, type(self).__name__)
        check_classification_targets(y)
        if first:
            given = self.__dict__.pop("_classes_arg", None)
            classes = np.unique(y) if given is None else np.unique(np.asarray(given))
            if classes.size < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; "
                                 f"got only one class: {plain(classes[0])!r}")
            self.classes_ = classes
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = np.flatnonzero(self.classes_[idx] != y)
        if unknown.size:
            raise ValueError(f"y has label {plain(y[unknown[0]])!r} at row {unknown[0]} that is "
                             f"not in classes_ {self.classes_.tolist()}")
        dt = np.dtype(self.dtype)
        if len(self.classes_) == 2:
            return idx.astype(dt)
        onehot = np.zeros((y.shape[0], len(self.classes_)), dtype=dt)
        onehot[np.arange(y.shape[0]), idx] = 1.0
        return onehot

    def _labels(self, y: np.ndarray) -> np.ndarray:
        return y.astype(np.intp) if y.ndim == 1 else np.argmax(y, axis=1)

    def _stratify(self, y: np.ndarray) -> np.ndarray | None:
        labels = self._labels(y)
        counts = np.bincount(labels, minlength=len(self.classes_))
        return labels if counts[counts > 0].min() >= 2 else None

    def _metrics(self) -> dict:
        return {"score": lambda yv, eta: float(np.mean(
            self._labels(yv) == self._decide(np.asarray(eta))))}

    def _decide(self, eta: np.ndarray) -> np.ndarray:
        return (eta[:, 0] > 0).astype(np.intp) if eta.shape[1] == 1 else np.argmax(eta, axis=1)

    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> MLPClassifier:
        """Exactly one epoch. ``classes`` (all labels) is needed on the first call only when
        the first batch does not contain every class."""
        if not hasattr(self, "network_") and classes is not None:
            self._classes_arg = classes
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)`` (float64; rows sum to 1)."""
        eta = np.asarray(self._eta(X), dtype=np.float64)
        if eta.shape[1] == 1:
            from scipy.special import expit

            p = expit(eta[:, 0])
            return np.column_stack([1.0 - p, p])
        from scipy.special import softmax

        return softmax(eta, axis=1)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        eta = np.asarray(self._eta(X), dtype=np.float64)
        if eta.shape[1] == 1:
            from scipy.special import log_expit

            return np.column_stack([log_expit(-eta[:, 0]), log_expit(eta[:, 0])])
        from scipy.special import log_softmax

        return log_softmax(eta, axis=1)

    def decision_function(self, X: Any) -> np.ndarray:
        """``eta``: ``(n_samples,)`` logit for two classes, ``(n_samples, n_classes)`` else."""
        eta = np.asarray(self._eta(X), dtype=np.float64)
        return eta[:, 0] if eta.shape[1] == 1 else eta

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class for each row, ``(n_samples,)``."""
        eta = np.asarray(self._eta(X))
        return self.classes_[self._decide(eta)]
