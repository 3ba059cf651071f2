"""Training callbacks: per-epoch and per-batch hooks, early stopping, a rich progress bar.

A callback may define any of ``on_train_begin(trainer)``, ``on_epoch_end(trainer, logs) -> bool``
(return True to stop training), ``on_batch_end(trainer, batch, loss)`` and
``on_train_end(trainer)``. ``logs`` is the epoch's history entry (``epoch``, ``loss``,
``val_loss``, metrics, ``lr``, ``time``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from reglab.core._xp import to_numpy

__all__ = ["Callback", "LambdaCallback", "EarlyStopping", "ProgressBar", "progress_enabled"]


class Callback:
    """Base class: every hook is a no-op."""

    def on_train_begin(self, trainer: Any) -> None:
        return None

    def on_epoch_end(self, trainer: Any, logs: dict) -> bool:
        return False

    def on_batch_end(self, trainer: Any, batch: int, loss: float) -> None:
        return None

    def on_train_end(self, trainer: Any) -> None:
        return None


class LambdaCallback(Callback):
    """Wrap plain functions: ``LambdaCallback(on_epoch_end=lambda trainer, logs: ...)``."""

    def __init__(self, on_epoch_end: Callable | None = None, on_batch_end: Callable | None = None,
                 on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None) -> None:
        self._epoch, self._batch = on_epoch_end, on_batch_end
        self._begin, self._end = on_train_begin, on_train_end
        if on_batch_end is None:
            # lets the trainer skip the per-batch call entirely
            self.on_batch_end = Callback.on_batch_end.__get__(self)  # type: ignore[method-assign]

    def on_train_begin(self, trainer: Any) -> None:
        if self._begin is not None:
            self._begin(trainer)

    def on_epoch_end(self, trainer: Any, logs: dict) -> bool:
        return bool(self._epoch(trainer, logs)) if self._epoch is not None else False

    def on_batch_end(self, trainer: Any, batch: int, loss: float) -> None:
        if self._batch is not None:
            self._batch(trainer, batch, loss)

    def on_train_end(self, trainer: Any) -> None:
        if self._end is not None:
            self._end(trainer)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``tol`` for ``patience`` epochs.

    With ``restore_best=True`` the network gets back the weights of its best epoch at the end.
    ``best_epoch`` and ``stopped_epoch`` are set after training.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 10, tol: float = 1e-4,
                 restore_best: bool = True) -> None:
        if patience < 1:
            raise ValueError(f"patience (n_iter_no_change) must be >= 1, got {patience}")
        self.monitor, self.patience, self.tol = monitor, int(patience), float(tol)
        self.restore_best = restore_best
        self.best = math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_weights: list[np.ndarray] | None = None

    def on_train_begin(self, trainer: Any) -> None:
        self._wait, self.stopped_epoch = 0, None

    def on_epoch_end(self, trainer: Any, logs: dict) -> bool:
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping monitors {self.monitor!r} but the epoch logs only "
                             f"have {sorted(logs)}; pass validation data for 'val_loss'")
        value = logs[self.monitor]
        if value < self.best - self.tol:
            self._wait = 0
        else:
            self._wait += 1
        if value < self.best:
            self.best, self.best_epoch = value, logs["epoch"]
            if self.restore_best:
                self._best_weights = [np.array(to_numpy(p), dtype=np.float64)
                                      for p in trainer.network.parameters()]
        if self._wait >= self.patience:
            self.stopped_epoch = logs["epoch"]
            return True
        return False

    def on_train_end(self, trainer: Any) -> None:
        if self.restore_best and self._best_weights is not None:
            trainer.network.set_flat(np.concatenate([b.reshape(-1) for b in self._best_weights]))


def progress_enabled(verbose: Any) -> bool:
    """``verbose=True``: on; ``False``/0: off; ``None``/``"auto"``: on when stderr is a TTY."""
    if verbose is None or verbose == "auto":
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return bool(verbose)


class ProgressBar(Callback):
    """A rich progress bar on stderr, advanced once per epoch with the current losses."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def on_train_begin(self, trainer: Any) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(TextColumn("epoch {task.completed}/{task.total}"), BarColumn(),
                                  TextColumn("{task.description}"), TimeElapsedColumn(),
                                  console=Console(file=sys.stderr), transient=False)
        self._progress.start()
        self._task = self._progress.add_task("", total=self.total)

    def on_epoch_end(self, trainer: Any, logs: dict) -> bool:
        text = " ".join(f"{k}={v:.4g}" for k, v in logs.items()
                        if k not in ("epoch", "time") and isinstance(v, float))
        self._progress.update(self._task, advance=1, description=text)
        return False

    def on_train_end(self, trainer: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
