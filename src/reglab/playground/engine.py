"""The playground's network: reglab's own engine (:mod:`reglab.nn`) built from a :class:`Config`.

The output layer is a GLM (see DESIGN.md): a linear ``eta`` followed by the family's canonical
inverse link and trained on half its unit deviance,

- binary classification: Bernoulli family, ``mu = sigmoid(eta)``, loss = mean log loss;
- multiclass: categorical family, ``mu = softmax(eta)`` (``K`` outputs), loss = cross-entropy;
- regression: gaussian family, ``mu = eta``, loss = half the mean squared error.

With no hidden layer the network *is* logistic / softmax / linear regression ("GLM mode").
L2 is the trainer's penalty ``alpha/2 ||W||^2`` on the weights; L1 adds ``l1 * sign(W)`` to the
weight gradients (a subgradient step), both leaving the biases alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reglab.nn import DivergenceError, Trainer, build_network

from .protocol import Config

__all__ = ["NetworkModel", "TrainingDiverged", "FAMILY_OF_PROBLEM"]

TrainingDiverged = DivergenceError
FAMILY_OF_PROBLEM = {"binary": "binomial", "multiclass": "categorical", "regression": "gaussian"}


class NetworkModel:
    """A :class:`reglab.nn.Sequential` and its :class:`reglab.nn.Trainer`, kept between frames.

    Parameters
    ----------
    config : the validated set-up (layers, activations, optimizer, penalties, dropout, batch).
    n_inputs : number of input features; problem : "binary", "multiclass" or "regression";
    n_classes : K for multiclass (ignored otherwise); seed : weight initialisation and shuffling.
    """

    def __init__(self, config: Config, n_inputs: int, problem: str, n_classes: int,
                 seed: int) -> None:
        self.problem = problem
        self.n_out = n_classes if problem == "multiclass" else 1
        self.net = build_network(n_inputs, config.layers, self.n_out,
                                 activation=list(config.activations), dropout=config.dropout,
                                 random_state=seed)
        penalty = {"l2": {"alpha": config.reg_rate}, "l1": {"l1": config.reg_rate}}.get(
            config.regularization, {})
        self.trainer = Trainer(self.net, loss=FAMILY_OF_PROBLEM[problem],
                               optimizer=config.optimizer, learning_rate=config.learning_rate,
                               batch_size=config.batch_size, random_state=seed, **penalty)
        self.family = self.trainer.head
        self._targets: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def epoch(self) -> int:
        return self.trainer.epoch

    def _encode(self, y: np.ndarray) -> np.ndarray:
        """Targets as the family wants them: float (n,), or one-hot (n, K) for categorical.

        Cached by the identity of ``y`` (the session passes the same arrays every frame), so a
        frame does not re-encode the training set.
        """
        hit = self._targets.get(id(y))
        if hit is not None and hit[0] is y:
            return hit[1]
        if self.problem == "multiclass":
            enc = np.zeros((len(y), self.n_out), dtype=np.float32)
            enc[np.arange(len(y)), y.astype(np.int64)] = 1.0
        else:
            enc = np.asarray(y, dtype=np.float32)
        if len(self._targets) > 8:  # only a few arrays recur (train, test); bound the cache
            self._targets.clear()
        self._targets[id(y)] = (y, enc)
        return enc

    def train_epoch(self, Z: np.ndarray, y: np.ndarray) -> float:
        """One pass over ``(Z (n, p), y (n,))`` in mini-batches; returns the mean batch objective.

        Raises :class:`TrainingDiverged` (weights restored) when the loss stops being finite.
        """
        # Overflow on the way to a divergence is expected here (a user may pick a step of 10):
        # the trainer detects the non-finite loss, restores the weights and raises, so numpy's
        # floating-point warnings would only be noise (or, under -W error, a half-done step).
        with np.errstate(all="ignore"):
            return self.trainer.train_batches(Z, self._encode(y))

    def train_batches(self, Z: np.ndarray, y: np.ndarray, n_batches: int) -> float:
        """``n_batches`` mini-batch updates, continuing where the last call stopped."""
        with np.errstate(all="ignore"):
            return self.trainer.train_batches(Z, self._encode(y), n_batches=n_batches)

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """``mu``: probabilities (n,) or (n, K), or the regression mean (n,); float64."""
        eta = np.asarray(self.net.predict_eta(Z), dtype=np.float64)
        return np.asarray(self.family.mean(eta[:, 0] if self.n_out == 1 else eta))

    def unit_losses(self, y: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Half the unit deviance per sample, ``(n,)``: the per-sample log loss, cross-entropy
        or squared error / 2."""
        t = self._encode(y).astype(np.float64)
        return 0.5 * np.asarray(self.family.unit_deviance(t, mu), dtype=np.float64)

    def loss(self, y: np.ndarray, mu: np.ndarray) -> float:
        """Mean of half the unit deviance at ``mu`` (no penalty): log loss, cross-entropy, MSE/2."""
        return float(np.mean(self.unit_losses(y, mu)))

    def hidden_activations(self, Z: np.ndarray) -> list[np.ndarray]:
        """Output of each hidden layer on ``Z``: ``[(n, h_1), ..., (n, h_L)]`` (evaluation mode)."""
        return [np.asarray(h, dtype=np.float64) for h in self.net.hidden_activations(Z)]

    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``([W_1 (p, h_1), ..., W_out (h_L, n_out)], [b_1, ..., b_out])`` as NumPy copies."""
        return self.net.coefs_, self.net.intercepts_

    def describe(self) -> dict[str, Any]:
        return {"family": FAMILY_OF_PROBLEM[self.problem], "n_out": self.n_out,
                "layers": [int(W.shape[1]) for W in self.net.coefs_[:-1]]}
