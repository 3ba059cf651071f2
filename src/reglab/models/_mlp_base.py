"""Shared fitting, prediction plumbing and (de)serialisation of the MLP estimators.

``_BaseMLP`` validates the parameters and data, builds the :class:`reglab.nn.Sequential`
network, runs the :class:`reglab.nn.Trainer` (or L-BFGS), records the history, and stores the
fitted estimator as versioned data (``to_dict`` / ``from_dict``; no pickle). The estimators in
:mod:`reglab.models.mlp` supply the output head (``_loss``), the target encoding
(``_prepare_y``) and the output size (``_n_outputs``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from reglab._warn import user_stacklevel
from reglab.core import _jit
from reglab.core.init import get_initializer
from reglab.models._design import check_finite_X, feature_names
from reglab.nn import EarlyStopping, Sequential, Trainer, build_network, fit_lbfgs
from reglab.nn.network import check_hidden_sizes, dtype_name

# version 2 stores the training record (history); version 1 files (loss curve only) still load
_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)


def validate_finite_X(est: BaseEstimator, X: Any, reset: bool, dtype: Any,
                      stage: str = "fitting") -> np.ndarray:
    """scikit-learn's ``validate_data``, with the first NaN/inf named by column and row
    (``check_finite_X``, as the linear models) instead of scikit-learn's generic message."""
    Xa = validate_data(est, X, reset=reset, dtype=dtype, order="C", ensure_all_finite=False)
    check_finite_X(Xa, feature_names(X, Xa.shape[1])[0], stage=stage)
    return Xa


def check_labels(y: np.ndarray, model: str) -> None:
    """Refuse a missing label (None or NaN among labels), naming its row: sorting the labels
    would fail with a bare TypeError ('<' between NoneType and str)."""
    if y.dtype == object:
        missing = np.flatnonzero(pd.isna(y))
        if missing.size:
            raise ValueError(f"{model}: y has a missing label ({y[missing[0]]!r}) at row "
                             f"{missing[0]}; drop that row or give it a label")


def _check_learning_rate(lr: Any) -> None:
    """A number > 0 or a schedule (a function of the update count, as for the Trainer); a
    scikit-learn schedule name is explained (its number is learning_rate_init)."""
    if isinstance(lr, str):
        raise ValueError(
            f"learning_rate={lr!r}: reglab's learning_rate is the initial step size, a number > 0 "
            f"(scikit-learn's learning_rate_init), not scikit-learn's schedule name ('constant', "
            f"'invscaling', 'adaptive'); give a schedule as a function of the update count, e.g. "
            f"learning_rate=reglab.core.optimizers.cosine_decay(0.01, 1000)")
    if callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.number) or not lr > 0:
        raise ValueError(f"learning_rate must be a number > 0 or a schedule, got {lr!r}")


def _warn_step(network: Sequential) -> None:
    """One UserWarning for hidden step activations: step' = 0, so no gradient gets back."""
    from reglab.nn.layers import Activation

    acts = [layer.name for layer in network.layers if isinstance(layer, Activation)]
    steps = [i + 1 for i, name in enumerate(acts) if name == "step"]
    if steps:
        warnings.warn(f"activation 'step' in hidden layer {', '.join(map(str, steps))}: its "
                      "derivative is 0, so backpropagation passes no gradient through it and the "
                      "weights before it never move; the Perceptron "
                      "(reglab.models.perceptron.Perceptron) is the model for the step rule",
                      UserWarning, stacklevel=user_stacklevel())


class _BaseMLP(BaseEstimator):
    """Shared fitting logic; subclasses supply ``_prepare_y`` / ``_n_outputs`` / ``_loss``."""

    def _validate_X(self, X: Any, reset: bool, stage: str = "fitting") -> np.ndarray:
        return validate_finite_X(self, X, reset, np.dtype(self.dtype), stage)

    def _validate_params(self) -> None:
        dtype_name(self.dtype)  # np.float32 / np.dtype / "float32": ValueError for others
        check_hidden_sizes(self.hidden_layer_sizes)
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        for name in ("max_iter", "batch_size", "n_iter_no_change"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction}")
        _check_learning_rate(self.learning_rate)
        if self.init not in (None, "auto"):
            get_initializer(self.init)  # raises ValueError naming the unknown initialiser

    def _sizes(self) -> tuple[int, ...]:
        return check_hidden_sizes(self.hidden_layer_sizes)

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
        # a fresh trainer (after a load, an unpickle or an L-BFGS run) continues the record:
        # its epochs are appended to the ones already run, and numbered after them
        self._history_before = list(getattr(self, "history_", []))
        trainer = Trainer(network, loss=self._loss(), optimizer=opt,
                       learning_rate=self.learning_rate, alpha=self.alpha,
                       batch_size=self.batch_size, shuffle=self.shuffle,
                       random_state=self._seed(1), callbacks=callbacks, verbose=self.verbose,
                       beta=self.momentum)
        trainer.epoch = len(self._history_before)
        return trainer

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
            _warn_step(self.network_)
            self.history_, self.loss_curve_, self.n_iter_ = [], [], 0
            self._trainer = None
        if incremental:
            return self._run_partial(X, y, sw)
        # load the compiled kernels before the trainer is built if this fit is long enough to
        # repay it (reglab.core._jit.load_for; the results are the same either way, to
        # rounding where the fused route of reglab.nn._fused takes over)
        _jit.load_for(float(self.max_iter) * X.shape[0] * sum(
            d.n_params for d in self.network_.dense))
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
                              f"converging: {info['message']}", ConvergenceWarning,
                              stacklevel=user_stacklevel())
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
                          stacklevel=user_stacklevel())
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
        self.history_ = [*getattr(self, "_history_before", []), *trainer.history]
        self._set_record()

    def _set_record(self) -> None:
        """Derive loss_curve_, n_iter_, best_loss_, validation_scores_ from history_."""
        self.loss_curve_ = [h["loss"] for h in self.history_]
        self.n_iter_ = len(self.history_)
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        self.validation_scores_ = [h["val_score"] for h in self.history_ if "val_score" in h]

    def __getstate__(self) -> dict:
        # the optimizer is a chain of closures (not picklable): a pickled estimator keeps its
        # weights and history, and a later warm start / partial_fit starts a fresh optimizer
        # whose epochs are appended to the history (_new_trainer)
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
        X = self._validate_X(X, reset=False, stage="predicting")
        return self.network_.predict_eta(X)

    def hidden_activations(self, X: Any) -> list[np.ndarray]:
        """Each hidden layer's outputs ``[(n_samples, h_1), (n_samples, h_2), ...]``."""
        check_is_fitted(self, "network_")
        X = self._validate_X(X, reset=False, stage="predicting")
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

    @property
    def family_(self) -> Any:
        """The output head the fitted network trains and predicts with, named as GLM's
        ``family_``: a core Family (``name``, ``link``, ``mean``, ``variance``; the classifier's
        is binomial for two classes, categorical for more) or a robust loss (``absolute_error``,
        ``huber``, which have no ``variance``). Unfitted: ``NotFittedError``."""
        from reglab.nn import get_head

        check_is_fitted(self, "network_")
        return get_head(self._loss())

    def summary(self) -> str:
        """Text summary: the output family, the layers (sizes, activations, parameter counts),
        the training settings, and the loss curve (first, best, last epoch) with the held-out
        validation loss and score when ``early_stopping`` kept a validation set."""
        from reglab.nn.layers import Activation, Dense, Dropout

        head = self.family_  # NotFittedError before anything else when unfitted
        net = self.network_
        link = getattr(getattr(head, "link", None), "name", None)
        out = f"{head.name}" + (f" ({link} link)" if link else "")
        lines = [f"{type(self).__name__}: {net.n_in} inputs -> {net.n_out} output"
                 f"{'s' if net.n_out > 1 else ''}, family {out}"]
        if hasattr(self, "classes_"):
            lines.append(f"classes: {', '.join(str(c) for c in self.classes_)}")
        lines += ["", f"  {'layer':<8} {'shape':>13} {'activation':<12} {'parameters':>10}"]
        rows = [layer for layer in net.layers if isinstance(layer, Dense | Dropout)]
        acts = {id(layer.dense): layer.name for layer in net.layers
                if isinstance(layer, Activation) and layer.dense is not None}
        for layer in rows:
            if isinstance(layer, Dropout):
                lines.append(f"  {'dropout':<8} {'':>13} {f'rate {layer.rate:g}':<12} {0:>10}")
                continue
            shape = f"{layer.n_in} -> {layer.n_out}"
            act = acts.get(id(layer), "(output)")
            lines.append(f"  {'dense':<8} {shape:>13} {act:<12} {layer.n_params:>10,}")
        total = sum(d.n_params for d in net.dense)
        lines.append(f"  {'total':<8} {'':>13} {'':<12} {total:>10,}  ({net.dtype})")
        if self.optimizer == "lbfgs":
            opt = f"lbfgs (full batch), alpha {self.alpha:g}"
            ran = f"{self.n_iter_} iteration{'s' if self.n_iter_ != 1 else ''}"
        else:
            lr = "a schedule" if callable(self.learning_rate) else f"{self.learning_rate:g}"
            opt = (f"{self.optimizer}, learning_rate {lr}, batch_size "
                   f"{self.batch_size}, alpha {self.alpha:g}")
            ran = f"{self.n_iter_} epoch{'s' if self.n_iter_ != 1 else ''}"
        # (n_iter_ counts every epoch of warm-started and partial fits together)
        lines += ["", f"training: {opt}; {ran} run in all (max_iter {self.max_iter} per fit)"]
        curve = list(self.loss_curve_)
        if curve:
            best = int(np.argmin(curve))
            lines.append(f"training loss (mean half deviance + penalty): first {curve[0]:.6g}, "
                         f"best {curve[best]:.6g} (epoch {best + 1}), last {curve[-1]:.6g}")
        val = [(i, h["val_loss"]) for i, h in enumerate(self.history_, 1) if "val_loss" in h]
        if val:
            i, v = min(val, key=lambda t: t[1])
            score = self.history_[i - 1].get("val_score")
            metric = "accuracy" if hasattr(self, "classes_") else "R^2"
            extra = "" if score is None else f", validation {metric} {score:.4f}"
            lines.append(f"validation loss: best {v:.6g} at epoch {i}{extra}")
        return "\n".join(lines)

    def to_dict(self, as_lists: bool = False) -> dict:
        """Hyperparameters, architecture, weights and fitted attributes as data (no pickle).

        Weights are plain NumPy arrays (``as_lists=True``: nested lists, for ``json.dumps``);
        a Family or loss object given as ``family`` is stored as its ``to_dict()``.
        """
        check_is_fitted(self, "network_")
        if callable(self.learning_rate):
            raise ValueError("a model trained with a learning-rate schedule (a function) cannot "
                             "be stored as data; set_params(learning_rate=<a number>) first: "
                             "the weights and record are kept, only a later warm start uses it")
        params = {k: (list(v) if isinstance(v, tuple) else v)
                  for k, v in self.get_params().items()}
        if not isinstance(params.get("random_state"), int | type(None)):
            params["random_state"] = None
        params["dtype"] = dtype_name(params["dtype"])  # np.float32 (a type) is not data
        if hasattr(params.get("family"), "to_dict"):
            params["family"] = params["family"].to_dict()
        out = {"format": f"reglab.models.{type(self).__name__}", "version": _FORMAT_VERSION,
               "params": params, "network": self.network_.to_dict(as_lists),
               "n_features_in": int(self.n_features_in_), "loss_curve": list(self.loss_curve_),
               "n_iter": int(self.n_iter_), "history": [dict(h) for h in self.history_]}
        if hasattr(self, "feature_names_in_"):
            out["feature_names_in"] = [str(c) for c in self.feature_names_in_]
        if hasattr(self, "classes_"):
            out["classes"] = self.classes_.tolist()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> _BaseMLP:
        expected = f"reglab.models.{cls.__name__}"
        if data.get("format") != expected or data.get("version") not in _READABLE_VERSIONS:
            raise ValueError(f"not a {expected} v1/v{_FORMAT_VERSION} dict: format="
                             f"{data.get('format')!r}, version={data.get('version')!r}")
        params = dict(data["params"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        est = cls(**params)
        est.network_ = Sequential.from_dict(data["network"])
        est.n_features_in_ = int(data["n_features_in"])
        if "feature_names_in" in data:
            est.feature_names_in_ = np.asarray(data["feature_names_in"], dtype=object)
        if "history" in data:
            est.history_ = [dict(h) for h in data["history"]]
        else:  # version 1 kept only the loss curve: one entry per epoch with its loss
            est.history_ = [{"epoch": i, "loss": float(v)}
                            for i, v in enumerate(data["loss_curve"], 1)]
        est._set_record()
        est._trainer = None
        if "classes" in data:
            est.classes_ = np.asarray(data["classes"])
        return est
