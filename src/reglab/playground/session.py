"""One browser tab's state: its data, its network and its training progress.

A :class:`Session` is plain synchronous Python; the web layer (:mod:`.app`) calls it from a worker
thread under a per-session lock, so a config change never lands in the middle of a training step.
Every method that can fail builds the new state in locals first and assigns it only on success:
a rejected config or upload leaves the session exactly as it was.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .datasets import DATASETS, FEATURES, make_dataset, make_features, split_train_test
from .engine import NetworkModel, TrainingDiverged
from .frames import NEURON_SIDE, OUTPUT_SIDE, encode, encode_columns, encode_symmetric, grid_points
from .protocol import Config, ProtocolError
from .userdata import UserData

__all__ = ["Session", "TrainingDiverged", "FRAME_BUDGET_S"]

FRAME_BUDGET_S = 0.012  # training time per streamed frame; the rest of a frame costs ~3 ms CPU
BATCHES_PER_CHUNK = 1  # updates between clock checks: one, so a frame ends exactly at an epoch end


@dataclass(frozen=True)
class _Data:
    """Points in page units, the train/test split and the network inputs derived from them."""

    X: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    problem: str
    n_classes: int
    y_train: np.ndarray
    y_test: np.ndarray
    Z_train: np.ndarray
    Z_test: np.ndarray
    y_eval: np.ndarray  # train then test, evaluated in one pass per frame
    Z_eval: np.ndarray
    Z_grid: np.ndarray  # output grid
    Z_small: np.ndarray  # neuron grid


def _build_data(config: Config, user: UserData | None) -> _Data:
    if config.dataset == "custom":
        if user is None:
            raise ProtocolError("dataset 'custom' needs points: upload a CSV or draw points",
                                "dataset")
        X, y, problem, k = user.X, user.y, user.problem, user.n_classes
    else:
        spec = DATASETS[config.dataset]
        X, y = make_dataset(spec.name, config.n_samples, config.noise / 100.0, config.seed)
        problem, k = spec.problem, spec.n_classes
    train, test = split_train_test(len(X), config.train_ratio / 100.0, config.seed)
    f = config.features
    Z_train, Z_test = make_features(X[train], f), make_features(X[test], f)
    return _Data(X, y, train, test, problem, k, y[train], y[test], Z_train, Z_test,
                 np.concatenate([y[train], y[test]]), np.concatenate([Z_train, Z_test]),
                 make_features(grid_points(OUTPUT_SIDE), f),
                 make_features(grid_points(NEURON_SIDE), f))


class Session:
    """State of one tab. ``frame()`` describes the network now; ``advance(n)`` trains n epochs."""

    def __init__(self, session_id: str, config: Config | None = None) -> None:
        self.id = session_id
        self.config = config or Config()
        self.user: UserData | None = None
        self.playing = False
        self.frame_no = 0
        self.generation = 0  # bumped whenever data or network change; the page drops stale frames
        self._restarts = 0
        self.data = _build_data(self.config, None)
        self.model = self._new_model(self.config, self.data, 0)

    # --- set-up ---------------------------------------------------------------------------------
    @staticmethod
    def _new_model(config: Config, data: _Data, restarts: int) -> NetworkModel:
        return NetworkModel(config, n_inputs=len(config.features), problem=data.problem,
                            n_classes=data.n_classes, seed=config.seed + 7919 * restarts)

    def configure(self, config: Config) -> None:
        """Adopt a validated config: new data and a freshly initialised network."""
        data = _build_data(config, self.user)
        model = self._new_model(config, data, self._restarts)
        self.config, self.data, self.model = config, data, model
        self.generation += 1

    def set_user_data(self, user: UserData) -> None:
        """Switch to the user's own points (dataset "custom")."""
        config = replace(self.config, dataset="custom")
        data = _build_data(config, user)
        model = self._new_model(config, data, self._restarts)
        self.user, self.config, self.data, self.model = user, config, data, model
        self.generation += 1

    def reset(self) -> None:
        """Same data, new random initial weights (as the page's reset button), epoch 0."""
        self._restarts += 1
        self.model = self._new_model(self.config, self.data, self._restarts)
        self.generation += 1

    # --- training -------------------------------------------------------------------------------
    def advance(self, epochs: int = 1) -> dict[str, Any]:
        """Train ``epochs`` passes over the training set, then return :meth:`frame`."""
        d = self.data
        for _ in range(epochs):
            self.model.train_epoch(d.Z_train, d.y_train)
        return self.frame()

    def play_frame(self, budget_s: float = FRAME_BUDGET_S) -> dict[str, Any]:
        """Train mini-batches for about ``budget_s`` seconds, never past the end of the current
        epoch, then return :meth:`frame`.

        Tying the work per frame to a time budget rather than to an epoch keeps the page at
        ~1 / (budget + frame cost) frames per second whatever the data size and batch size, while
        an epoch still ends after ceil(n_train / batch_size) updates in total.
        """
        d, start, epoch0 = self.data, time.perf_counter(), self.model.epoch
        while self.model.epoch == epoch0:
            self.model.train_batches(d.Z_train, d.y_train, BATCHES_PER_CHUNK)
            if time.perf_counter() - start >= budget_s:
                break
        return self.frame()

    # --- messages -------------------------------------------------------------------------------
    def _metrics(self) -> dict[str, float | None]:
        """Mean loss (and accuracy for classification) on the training and the test points."""
        d, n = self.data, len(self.data.train)
        mu = self.model.predict(d.Z_eval)
        losses = self.model.unit_losses(d.y_eval, mu)
        out: dict[str, float | None] = {}
        for part, sl in (("train", slice(0, n)), ("test", slice(n, None))):
            loss = float(np.mean(losses[sl]))
            out[f"{part}_loss"] = loss if math.isfinite(loss) else None
            if d.problem != "regression":
                pred = (mu[sl] > 0.5).astype(np.int64) if d.problem == "binary" \
                    else mu[sl].argmax(1)
                out[f"{part}_accuracy"] = float(np.mean(pred == d.y_eval[sl]))
        return out

    def _output_map(self) -> dict[str, Any]:
        mu = self.model.predict(self.data.Z_grid)
        if self.data.problem == "regression":
            return {"kind": "regression", "maps": [encode(mu, -1.0, 1.0)]}
        if self.data.problem == "binary":
            return {"kind": "binary", "maps": [encode(mu, 0.0, 1.0)]}
        return {"kind": "multiclass", "maps": [encode(mu[:, k], 0.0, 1.0) for k in
                                               range(mu.shape[1])]}

    def frame(self) -> dict[str, Any]:
        """The network's current picture: losses, output map, neuron maps, weights.

        ``neurons[l][j] = [b64, scale]`` is unit j of hidden layer l on the small grid;
        ``weights[l]`` is the ``(n_in, n_out)`` matrix into layer l+1 (the last is the output).
        """
        self.frame_no += 1
        hidden = self.model.hidden_activations(self.data.Z_small)
        neurons = [encode_columns(h) for h in hidden]
        weights, biases = self.model.weights()
        return {"type": "frame", "frame": self.frame_no, "generation": self.generation,
                "epoch": self.model.epoch,
                **self._metrics(), "output": self._output_map(), "neurons": neurons,
                "weights": [np.round(W, 4).tolist() for W in weights],
                "biases": [np.round(b, 4).tolist() for b in biases]}

    def data_message(self) -> dict[str, Any]:
        """Points (train and test, page units), problem type, and the input features' maps."""
        d = self.data
        pts = np.column_stack([d.X, d.y]).round(4)
        # Every feature's map, chosen or not, so the page can show what each would add.
        every = make_features(grid_points(NEURON_SIDE), list(FEATURES))
        inputs = {f: [FEATURES[f][0], *encode_symmetric(every[:, j])]
                  for j, f in enumerate(FEATURES)}
        user = self.user if self.config.dataset == "custom" else None
        names = list(user.class_names) if user else []
        # an uploaded real target: the CSV's own values at the page's -1 and +1, for the legend
        scale = ({"name": user.columns[2], "range": list(user.target_range)}
                 if user and user.target_range else None)
        return {"type": "data", "generation": self.generation, "config": self.config.to_dict(),
                "problem": d.problem, "target_scale": scale,
                "notice": user.notice if user else "",
                "n_classes": d.n_classes, "class_names": names,
                "train": pts[d.train].tolist(), "test": pts[d.test].tolist(),
                "inputs": inputs, "output_side": OUTPUT_SIDE, "neuron_side": NEURON_SIDE}
