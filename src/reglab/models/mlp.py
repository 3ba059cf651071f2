"""Multi-layer perceptrons: ``MLPRegressor`` (any family or robust loss) and ``MLPClassifier``.

Thin scikit-learn shells over :mod:`reglab.nn`. The network is ``Dense -> activation`` per hidden
layer and a linear output whose ``eta`` feeds a family: the regressor's ``family`` (gaussian,
poisson, gamma, negative_binomial, tweedie, or the robust losses ``absolute_error`` / ``huber``);
the classifier's binomial (one logit, two classes) or categorical (one logit per class). The
objective is the (sample-weighted) mean of half the unit deviance plus ``alpha/2 * sum ||W||^2``
over the weights; see ``docs/nn.md``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from reglab.nn import EarlyStopping, Sequential, Trainer, build_network, fit_lbfgs

__all__ = ["MLPRegressor", "MLPClassifier"]

_FORMAT_VERSION = 1
_LOG_LINK = ("gamma", "inverse_gaussian")


class _BaseMLP(BaseEstimator):
    """Shared fitting logic; subclasses supply ``_prepare_y`` / ``_n_outputs`` / ``_loss``."""

    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=np.dtype(self.dtype), order="C")

    def _validate_params(self) -> None:
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        sizes = [self.hidden_layer_sizes] if np.ndim(self.hidden_layer_sizes) == 0 else \
            list(self.hidden_layer_sizes)
        if any(int(h) < 1 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive, got {self.hidden_layer_sizes}")
        for name in ("max_iter", "batch_size", "n_iter_no_change"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")

    def _sizes(self) -> tuple[int, ...]:
        if np.ndim(self.hidden_layer_sizes) == 0:
            return (int(self.hidden_layer_sizes),)
        return tuple(int(h) for h in self.hidden_layer_sizes)

    def _new_network(self, n_in: int) -> Sequential:
        return build_network(n_in, self._sizes(), self._n_outputs(), activation=self.activation,
                             dropout=self.dropout, init=self.init, dtype=self.dtype,
                             random_state=self._seed(0))

    def _seed(self, offset: int) -> int | None:
        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(2**31)) + offset
        return int(rs) + offset

    def _new_trainer(self, network: Sequential, callbacks: list) -> Trainer:
        opt = "sgd" if self.optimizer == "lbfgs" else self.optimizer
        return Trainer(network, loss=self._loss(), optimizer=opt,
                       learning_rate=self.learning_rate, alpha=self.alpha,
                       batch_size=self.batch_size, shuffle=self.shuffle,
                       random_state=self._seed(1), callbacks=callbacks, verbose=self.verbose,
                       beta=self.momentum)

    def _fit(self, X: Any, y: Any, sample_weight: Any, incremental: bool) -> _BaseMLP:
        self._validate_params()
        first = not (hasattr(self, "network_") and (incremental or self.warm_start))
        X = self._validate_X(X, reset=first)
        y = self._prepare_y(y, first, incremental)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        sw = None
        if sample_weight is not None:
            # scikit-learn's check also refuses all-zero weights
            sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
            # equal weights give the same weighted-mean objective: skip them (exact and faster)
            sw = None if np.all(sw == sw[0]) else sw
        if first:
            self.network_ = self._new_network(X.shape[1])
            self.history_, self.loss_curve_, self.n_iter_ = [], [], 0
            self._trainer = None
        if incremental:
            return self._run_partial(X, y, sw)
        return self._run_fit(X, y, sw)

    def _split(self, X: np.ndarray, y: np.ndarray, sw: Any) -> tuple:
        strat = self._stratify(y)
        arrays = [X, y] if sw is None else [X, y, sw]
        parts = train_test_split(*arrays, test_size=self.validation_fraction,
                                 random_state=self._seed(2), stratify=strat)
        if sw is None:
            return parts[0], parts[2], None, (parts[1], parts[3])
        return parts[0], parts[2], parts[4], (parts[1], parts[3], parts[5])

    def _run_fit(self, X: np.ndarray, y: np.ndarray, sw: Any) -> _BaseMLP:
        if self.optimizer == "lbfgs":
            trainer = self._new_trainer(self.network_, [])
            try:
                info = fit_lbfgs(trainer, X, y, sw, max_iter=self.max_iter, tol=self.tol)
            finally:
                self._record(trainer)
            if not info["converged"]:
                warnings.warn(f"L-BFGS stopped after {info['n_iter']} iterations without "
                              f"converging: {info['message']}", ConvergenceWarning, stacklevel=3)
            return self
        validation = None
        if self.early_stopping:
            X, y, sw, validation = self._split(X, y, sw)
            stopper = EarlyStopping("val_loss", self.n_iter_no_change, self.tol, True)
        else:
            stopper = EarlyStopping("loss", self.n_iter_no_change, self.tol, False)
        trainer = self._trainer if (self.warm_start and self._trainer is not None) else \
            self._new_trainer(self.network_, [])
        trainer.callbacks = [stopper]
        self._trainer = trainer
        start = len(trainer.history)
        try:
            trainer.fit(X, y, sw, epochs=self.max_iter, validation_data=validation,
                        metrics=self._metrics() if validation else None)
        finally:
            self._record(trainer)
        if stopper.stopped_epoch is None and len(trainer.history) - start >= self.max_iter:
            warnings.warn(f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=3)
        return self

    def _run_partial(self, X: np.ndarray, y: np.ndarray, sw: Any) -> _BaseMLP:
        if self.optimizer == "lbfgs":
            raise ValueError("partial_fit needs a stochastic optimizer, not 'lbfgs'")
        if getattr(self, "_trainer", None) is None:
            self._trainer = self._new_trainer(self.network_, [])
        trainer = self._trainer
        try:
            trainer.callbacks = []
            trainer.fit(X, y, sw, epochs=1)
        finally:
            self._record(trainer)
        return self

    def _record(self, trainer: Trainer) -> None:
        self.history_ = list(trainer.history)
        self.loss_curve_ = [h["loss"] for h in trainer.history]
        self.n_iter_ = len(trainer.history)
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        self.validation_scores_ = [h["val_score"] for h in trainer.history if "val_score" in h]

    def __getstate__(self) -> dict:
        # the optimizer is a chain of closures (not picklable): a pickled estimator keeps its
        # weights and history, and a later warm start / partial_fit starts a fresh optimizer
        state = super().__getstate__()
        state.pop("_trainer", None)
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "network_" in state:
            self._trainer = None

    # ------------------------------------------------------------------ public -----------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> _BaseMLP:
        """Train for up to ``max_iter`` epochs. ``X``: (n_samples, n_features); ``y``: (n_samples,).

        Raises :class:`reglab.nn.DivergenceError` naming the epoch if the loss becomes NaN/inf;
        the network then keeps its last good weights.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _eta(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = self._validate_X(X, reset=False)
        return self.network_.predict_eta(X)

    def hidden_activations(self, X: Any) -> list[np.ndarray]:
        """Each hidden layer's outputs ``[(n_samples, h_1), (n_samples, h_2), ...]``."""
        check_is_fitted(self, "network_")
        X = self._validate_X(X, reset=False)
        return [np.asarray(a) for a in self.network_.hidden_activations(X)]

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape ``(n_in_i, n_out_i)`` (copies)."""
        check_is_fitted(self, "network_")
        return self.network_.coefs_

    @property
    def intercepts_(self) -> list[np.ndarray]:
        check_is_fitted(self, "network_")
        return self.network_.intercepts_

    def to_dict(self, as_lists: bool = False) -> dict:
        """Hyperparameters, architecture, weights and fitted attributes as data (no pickle).

        Weights are plain NumPy arrays (``as_lists=True``: nested lists, for ``json.dumps``);
        a Family or loss object given as ``family`` is stored as its ``to_dict()``.
        """
        check_is_fitted(self, "network_")
        params = {k: (list(v) if isinstance(v, tuple) else v)
                  for k, v in self.get_params().items()}
        if not isinstance(params.get("random_state"), int | type(None)):
            params["random_state"] = None
        if hasattr(params.get("family"), "to_dict"):
            params["family"] = params["family"].to_dict()
        out = {"format": f"reglab.models.{type(self).__name__}", "version": _FORMAT_VERSION,
               "params": params, "network": self.network_.to_dict(as_lists),
               "n_features_in": int(self.n_features_in_), "loss_curve": list(self.loss_curve_),
               "n_iter": int(self.n_iter_)}
        if hasattr(self, "feature_names_in_"):
            out["feature_names_in"] = [str(c) for c in self.feature_names_in_]
        if hasattr(self, "classes_"):
            out["classes"] = self.classes_.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> _BaseMLP:
        expected = f"reglab.models.{cls.__name__}"
        if data.get("format") != expected or data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"not a {expected} v{_FORMAT_VERSION} dict: format="
                             f"{data.get('format')!r}, version={data.get('version')!r}")
        params = dict(data["params"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est.network_ = Sequential.from_dict(data["network"])
        est.n_features_in_ = int(data["n_features_in"])
        if "feature_names_in" in data:
            est.feature_names_in_ = np.asarray(data["feature_names_in"], dtype=object)
        est.loss_curve_ = list(data["loss_curve"])
        est.n_iter_ = int(data["n_iter"])
        est.history_, est._trainer = [], None
        if "classes" in data:
            est.classes_ = np.asarray(data["classes"])
        return est


_COMMON_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
    activation : str or list of str (one per hidden layer), default "relu"; any name of
        ``reglab.core.activations``
    optimizer : "adam" (default), "sgd", "momentum", "nesterov", "rmsprop", "adamw", "lbfgs"
    learning_rate : float, default 1e-3; momentum : float, default 0.9 (momentum / nesterov)
    batch_size : int, default 200; max_iter : int, default 200 (epochs; iterations for lbfgs)
    alpha : float, default 0.0, L2 penalty ``alpha/2 * sum ||W||^2`` on the weights
    shuffle : bool, default True
    early_stopping : bool, default False: hold out ``validation_fraction`` of the data, stop
        when the validation loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        restore the best weights. Without it training stops when the training loss stalls.
    dropout : float or list, default 0.0 (inverted dropout after each hidden activation)
    init : None (default: Glorot uniform for every layer, LeCun after SELU), "auto" (matched
        to the activation: He for ReLU, Glorot for tanh), "torch" (PyTorch's nn.Linear scheme)
        or another name of ``reglab.core.init``; see :func:`reglab.nn.build_network`
    random_state : int or None; dtype : "float32" (default) or "float64"
    warm_start : bool, default False: ``fit`` continues from the current weights and
        optimizer state
    verbose : "auto" (progress bar when stderr is a terminal), True or False

    Attributes
    ----------
    network_ : reglab.nn.Sequential; coefs_, intercepts_ : lists of arrays (copies);
    loss_curve_ : training objective per epoch; history_ : list of per-epoch dicts;
    n_iter_ : epochs run; n_features_in_
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

        if isinstance(self.family, str) and self.family in _LOG_LINK:
            # the canonical (inverse) links need eta > 0, which an unconstrained network output
            # cannot promise; the log link keeps mu > 0 for every eta
            return get_head(self.family, link="log")
        return get_head(self.family)

    def _n_outputs(self) -> int:
        return 1

    def _stratify(self, y: np.ndarray) -> None:
        return None

    def _prepare_y(self, y: Any, first: bool, incremental: bool) -> np.ndarray:
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             "is None")
        y = column_or_1d(np.asarray(y), warn=True).astype(np.dtype(self.dtype))
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
        check_classification_targets(y)
        if first:
            given = self.__dict__.pop("_classes_arg", None)
            classes = np.unique(y) if given is None else np.unique(np.asarray(given))
            if classes.size < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes; "
                                 f"got only one class: {classes[0]!r}")
            self.classes_ = classes
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = np.flatnonzero(self.classes_[idx] != y)
        if unknown.size:
            raise ValueError(f"y has label {y[unknown[0]]!r} at row {unknown[0]} that is not in "
                             f"classes_ {self.classes_.tolist()}")
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
