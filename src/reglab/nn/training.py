"""The training loop: mini-batches, epochs, validation, callbacks, divergence detection.

The objective minimised is

.. math::

    L(\\theta) = \\frac{\\sum_i s_i \\, \\tfrac12 d(y_i, \\mu_i)}{\\sum_i s_i}
                 + \\frac{\\alpha}{2} \\sum_l \\lVert W_l \\rVert_F^2,
    \\qquad \\mu_i = h^{-1}(\\eta_i),\\ \\eta = \\text{network}(X)

with ``d`` the unit deviance of the output :class:`~reglab.core.families.Family` (or a robust
loss), ``s`` the sample weights and ``h`` the link. Half the deviance is the negative
log-likelihood up to a constant, so for Bernoulli and Categorical ``L`` is the mean cross-entropy.
Backpropagation starts from ``dL/deta = family.gradient_hessian(y, eta, s)[0] / sum(s)``: for a
canonical link that is ``(mu - y) s / sum(s)``, so softmax + cross-entropy needs no special case.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from reglab.core import _jit
from reglab.core._xp import namespace, to_numpy
from reglab.core.optimizers import (
    GradientTransformation,
    apply_step,
    apply_updates,
    get_optimizer,
)
from reglab.nn import _fused
from reglab.nn._checks import check_learning_rate, check_training_data
from reglab.nn._epochs import epoch_logs, holdout, state_copy
from reglab.nn._fastgrad import numpy_gradient
from reglab.nn.callbacks import Callback, ProgressBar, progress_enabled
from reglab.nn.heads import get_head, mean_range_note
from reglab.nn.network import CHUNK, Sequential

__all__ = ["Trainer", "DivergenceError", "get_head"]


class DivergenceError(FloatingPointError):
    """Training loss became NaN or infinite; the network keeps its last good weights."""


class Trainer:
    """Trains a :class:`Sequential` on a family's loss with a composable optimizer.

    Parameters
    ----------
    network : Sequential
    loss : family or robust-loss name or object (``"gaussian"``, ``"binomial"``, ``"categorical"``,
        ``"poisson"``, ``"huber"``, ...). ``y`` is ``(n,)`` for one output, one-hot ``(n, K)`` for
        categorical.
    optimizer : name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"rmsprop"``, ``"adam"``,
        ``"adamw"``) or a :class:`GradientTransformation`.
    learning_rate, alpha : step size (float or schedule) and L2 penalty on the weights.
    batch_size, shuffle, random_state : mini-batching; shuffling is seeded.
    callbacks : list of :class:`Callback`; verbose : progress bar (``"auto"``: when on a TTY).
    optimizer_kwargs : passed to :func:`get_optimizer` (``beta``, ``weight_decay``, ``l1``,
        ``clip_norm``, ``plateau``).
    """

    def __init__(self, network: Sequential, loss: Any = "gaussian",
                 optimizer: str | GradientTransformation = "adam", learning_rate: Any = 1e-3,
                 alpha: float = 0.0, batch_size: int = 200, shuffle: bool = True,
                 random_state: int | None = None, callbacks: Sequence[Callback] = (),
                 verbose: Any = False, **optimizer_kwargs: Any) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if alpha < 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}")
        check_learning_rate(learning_rate)
        self.network, self.head = network, get_head(loss)
        self.alpha, self.batch_size, self.shuffle = float(alpha), int(batch_size), shuffle
        self.learning_rate = learning_rate
        # named optimizers without a weight-decay or L1 term need no weight/bias split, so they
        # step the whole parameter vector in cache-sized chunks; a user-built transform sees the
        # documented leaves [weights, biases] (its own masks refer to those)
        named = isinstance(optimizer, str)
        # the fused route (reglab.nn._fused) takes a named optimizer only, and a run that fit()
        # found long enough (reglab.core._jit.long_run) or REGLAB_JIT=1: never because an
        # earlier run in the process happened to load the kernels
        self._named_optimizer, self._long_run = named, False
        split = not named or optimizer == "adamw" or bool(
            optimizer_kwargs.get("l1") or optimizer_kwargs.get("weight_decay"))
        # (chunks keep a multi-pass NumPy optimizer in cache; the compiled Adam makes one pass,
        # and works on chunks as well when the kernels are loaded only later, by fit)
        one_pass = optimizer == "adam" and network.is_numpy and _jit.kernels() is not None
        self._params, self._grads, mask = network.optimizer_leaves(
            split, CHUNK if named and not one_pass else None)
        self.optimizer = get_optimizer(optimizer, learning_rate, mask=mask, **optimizer_kwargs)
        self.opt_state = self.optimizer.init(self._params)
        self.rng = np.random.default_rng(random_state)
        self.callbacks = list(callbacks)
        self.verbose = verbose
        self.history: list[dict] = []
        self.epoch = 0
        self._order: np.ndarray | None = None
        self._cursor, self._n_seen = 0, None
        # NumPy kernel for dL/deta (canonical-link families; checked against the family once)
        self._fast = numpy_gradient(self.head) if network.is_numpy else None
        self._fast_checked = False

    # ------------------------------------------------------------------ one batch --------------
    def _backprop(self, X: Any, y: Any, sample_weight: Any, training: bool) -> Any:
        """Forward and backward pass; fills ``network.gradients()`` and returns ``eta``.

        ``dL/deta = family.gradient_hessian(y, eta, s)[0] / sum(s)`` (the mean loss), plus the
        penalty gradient ``alpha W`` on the weights.
        """
        net = self.network
        eta = net.forward(X, training)
        if self._fast is not None and sample_weight is None and isinstance(eta, np.ndarray) \
                and isinstance(y, np.ndarray):
            net.backward(self._fast_gradient(y, eta))
            if self.alpha:
                net.add_penalty_gradient(self.alpha)
            return eta
        squeeze = net.n_out == 1
        e = eta[:, 0] if squeeze else eta
        total = X.shape[0] if sample_weight is None else float(namespace(sample_weight).sum(
            sample_weight))
        if total > 0:
            g = self.head.gradient_hessian(y, e, sample_weight)[0]
        else:
            # a batch whose weights are all zero has no data term (the family would refuse it)
            g, total = namespace(e).zeros_like(e), 1.0
        if isinstance(g, np.ndarray):
            g = np.multiply(g, 1.0 / total, dtype=eta.dtype)
            g = g.reshape(-1, 1) if squeeze else g
        else:
            xp = namespace(g)
            g = xp.astype(g, eta.dtype) / total
            g = xp.reshape(g, (-1, 1)) if squeeze else g
        net.backward(g)
        if self.alpha:
            net.add_penalty_gradient(self.alpha)
        return eta

    def _fast_gradient(self, y: np.ndarray, eta: np.ndarray) -> np.ndarray:
        """``dL/deta = (mu - y) / n`` by the head's NumPy kernel, into a reused buffer.

        The first batch of every :meth:`train_batches` call checks the kernel against
        ``family.gradient_hessian(y, eta)[0] / n``; on any disagreement the trainer drops the
        kernel and uses the family from then on.
        """
        buf = self.__dict__.get("_gbuf")
        if buf is None or buf.shape[0] < eta.shape[0] or buf.shape[1:] != eta.shape[1:] \
                or buf.dtype != eta.dtype:
            buf = self._gbuf = np.empty((max(eta.shape[0], self.batch_size), *eta.shape[1:]),
                                        eta.dtype)
        g = self._fast(y, eta, buf[:eta.shape[0]], 1.0 / eta.shape[0])
        if not self._fast_checked:
            self._fast_checked = True
            e = eta[:, 0] if self.network.n_out == 1 else eta
            ref = np.asarray(self.head.gradient_hessian(y, e)[0], np.float64) / eta.shape[0]
            ref = ref.reshape(g.shape)
            tol = 1e-4 if eta.dtype == np.float32 else 1e-10
            if not np.allclose(g, ref, rtol=tol, atol=tol * float(np.abs(ref).max() + 1e-30)):
                self._fast = None
                g = buf[:eta.shape[0]]
                g[...] = ref
        return g

    def _data_loss(self, y: Any, eta: Any, sample_weight: Any) -> float:
        e = eta[:, 0] if self.network.n_out == 1 else eta
        return float(self.head.loss(y, e, sample_weight))

    def loss_and_gradient(self, X: Any, y: Any, sample_weight: Any = None,
                          training: bool = True) -> float:
        """Forward, loss, backward: fills ``network.gradients()``, returns the objective."""
        eta = self._backprop(X, y, sample_weight, training)
        return self._data_loss(y, eta, sample_weight) + self.network.penalty(self.alpha)

    def _apply_optimizer(self) -> None:
        if self.network.is_numpy:
            # persistent views of the flat vectors; Adam updates each ~128 KB leaf and adds it
            # to the parameters in one sweep (apply_step), while the leaf is in cache
            _, self.opt_state = apply_step(self.optimizer, self._grads, self.opt_state,
                                           self._params)
            return
        params, grads = self.network.parameters(), self.network.gradients()
        updates, self.opt_state = self.optimizer.update(grads, self.opt_state, params)
        params = apply_updates(params, updates)
        # out-of-place namespaces: the updated arrays are new objects; hand them to the layers
        n_dense = len(self.network.dense)
        for d, w in zip(self.network.dense, params[:n_dense]):
            d.W = w
        for d, b in zip(self.network.dense, params[n_dense:]):
            d.b = b

    def step(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """One optimizer update on the batch ``(X, y)``; returns the batch objective before it."""
        check_training_data(self.network, self.head, X, y, sample_weight)
        loss = self.loss_and_gradient(X, y, sample_weight)
        self._apply_optimizer()
        return loss

    def evaluate(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Data loss (no penalty) in evaluation mode (dropout off)."""
        check_training_data(self.network, self.head, X, y, sample_weight)
        eta = self.network.predict_eta(X)
        e = eta[:, 0] if self.network.n_out == 1 else eta
        return float(self.head.loss(y, e, sample_weight))

    # ------------------------------------------------------------------ batches and epochs ------
    def _take(self, A: Any, idx: np.ndarray, name: str) -> Any:
        if A is None:
            return None
        if isinstance(A, np.ndarray):
            shape = (idx.shape[0], *A.shape[1:])
            buf = self.__dict__.get("_gather_" + name)
            if buf is None or buf.shape[1:] != A.shape[1:] or buf.shape[0] < idx.shape[0] \
                    or buf.dtype != A.dtype:
                buf = np.empty((max(idx.shape[0], self.batch_size), *A.shape[1:]), A.dtype)
                self.__dict__["_gather_" + name] = buf
            # the method, not np.take: two Python wrapper calls fewer per batch. mode="wrap":
            # with the default mode="raise" NumPy gathers into a temporary and copies it to
            # `out` (2.6x slower for 256 x 784 float32); the indices come from a permutation
            # of range(n), so they are always in range and wrap never applies
            return A.take(idx, axis=0, out=buf[:shape[0]], mode="wrap")
        xp = namespace(A)
        return xp.take(A, xp.asarray(idx), axis=0)

    def _start_epoch(self, n: int) -> None:
        """A new shuffled order (None when not shuffling) once the last one is used up."""
        if self._cursor >= n or self._n_seen != n:
            self._order = self.rng.permutation(n) if self.shuffle else None
            self._cursor, self._n_seen = 0, n

    def _next_batch(self, n: int) -> tuple[Any, bool]:
        """Indices (array, or a slice when not shuffling) of the next batch; True at epoch end."""
        self._start_epoch(n)
        start, stop = self._cursor, min(self._cursor + self.batch_size, n)
        self._cursor = stop
        idx = slice(start, stop) if self._order is None else self._order[start:stop]
        return idx, stop >= n

    def train_batches(self, X: Any, y: Any, sample_weight: Any = None,
                      n_batches: int | None = None) -> float:
        """Run ``n_batches`` updates (default: up to the end of the current epoch).

        Keeps its place in the shuffled order between calls, so a caller (the playground) can
        advance training a few batches at a time. Returns the objective over the rows visited:
        the family loss of each row at the moment its batch was used (the sample-weighted mean
        of the batch losses) plus the mean penalty. Raises :class:`DivergenceError` naming the
        epoch if the loss stops being finite.
        """
        check_training_data(self.network, self.head, X, y, sample_weight)
        n = X.shape[0]
        if n == 0:
            raise ValueError("cannot train on 0 samples")
        if n_batches is not None and n_batches < 1:
            raise ValueError(f"n_batches must be a positive number of updates, got {n_batches}")
        if self._fast is not None and isinstance(y, np.ndarray):
            # the kernel does not validate labels (the family's general route does): check y
            # once per call, and compare the kernel with the family again on its first batch
            self.head.check_y(y)
            self._fast_checked = False
        per_batch = any(type(c).on_batch_end is not Callback.on_batch_end or
                        "on_batch_end" in c.__dict__ for c in self.callbacks)
        # planned before the snapshot: planning the compiled route may join the optimizer's
        # leaves, and a diverging call must give back the state in the layout now in use
        fused = _fused.route(self, X, y, sample_weight) if not per_batch else None
        # what a diverging call gives back: the weights, the optimizer state, the epoch count
        snapshot = ([np.array(to_numpy(p), copy=True) for p in self.network.parameters()],
                    state_copy(self.opt_state), self.epoch)
        visited: list[Any] = []
        etas: list[Any] = []
        penalty, done = 0.0, 0
        # overflow on the way to a NaN is expected when training diverges; it is reported below
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while n_batches is None or done < n_batches:
                if fused is not None:
                    # the rest of the epoch (or of n_batches) in compiled calls
                    k, pen, epoch_end = _fused.steps(self, fused, X, n_batches, done, visited,
                                                     etas)
                    done, penalty = done + k, penalty + pen
                    if epoch_end and n_batches is None:
                        break
                    continue
                idx, epoch_end = self._next_batch(n)
                Xb, yb, sb = self._batch(X, y, sample_weight, idx)
                if self.alpha:
                    penalty += self.network.penalty(self.alpha)
                eta = self._backprop(Xb, yb, sb, True)
                # the batch loss is evaluated once per call over all visited rows (one family
                # call instead of one per batch): keep this batch's eta, in its own copy
                etas.append(eta.copy() if isinstance(eta, np.ndarray) else eta)
                visited.append(idx)
                self._apply_optimizer()
                done += 1
                if per_batch:
                    loss = self._data_loss(yb, eta, sb)
                    for c in self.callbacks:
                        c.on_batch_end(self, done - 1, loss)
                if epoch_end:
                    self.epoch += 1
                    if n_batches is None:
                        break
            loss = self._visited_loss(y, sample_weight, visited, etas) + penalty / done
        if not math.isfinite(loss) or not all(_finite(p) for p in self.network.parameters()):
            self._diverged(snapshot, loss, etas)
        return loss

    def _batch(self, X: Any, y: Any, sample_weight: Any, idx: Any) -> tuple[Any, Any, Any]:
        if isinstance(idx, slice):
            return X[idx], y[idx], None if sample_weight is None else sample_weight[idx]
        return (self._take(X, idx, "X"), self._take(y, idx, "y"),
                self._take(sample_weight, idx, "sw"))

    def _visited_loss(self, y: Any, sample_weight: Any, visited: list, etas: list) -> float:
        """Family loss over the rows visited, each with the eta of its batch."""
        xp = namespace(etas[0])
        rows = np.concatenate([np.arange(n)[i] if isinstance(i, slice) else i
                               for i, n in zip(visited, [y.shape[0]] * len(visited))])
        eta = xp.concat(etas, axis=0) if len(etas) > 1 else etas[0]
        if isinstance(y, np.ndarray):
            yv = y[rows]
            sv = None if sample_weight is None else sample_weight[rows]
        else:
            r = xp.asarray(rows)
            yv = xp.take(y, r, axis=0)
            sv = None if sample_weight is None else xp.take(sample_weight, r, axis=0)
        return self._data_loss(yv, eta, sv)

    def _diverged(self, snapshot: tuple, loss: float, etas: list) -> None:
        params, self.opt_state, epoch = snapshot
        self.network.set_flat(np.concatenate([s.reshape(-1).astype(np.float64)
                                              for s in params]))
        # the epochs this call trained in (the count went up at each epoch end it reached)
        last = self.epoch + (0 if self._cursor >= (self._n_seen or 0) else 1)
        when = f"epoch {epoch + 1}" if last <= epoch + 1 else f"epochs {epoch + 1}-{last}"
        self.epoch = epoch
        self._cursor = self._n_seen or 0  # the next call starts a fresh epoch
        lr = self.learning_rate if not callable(self.learning_rate) else "a schedule"
        # a mean outside the family's range (a head whose link allows it) is not the step size
        eta = np.concatenate(etas) if all(isinstance(e, np.ndarray) for e in etas) else None
        note = mean_range_note(self.head, eta) if loss != loss and eta is not None else ""
        raise DivergenceError(
            f"training diverged in {when}: the loss became {loss}; the network keeps its "
            f"weights (and the optimizer its state) from before." +
            (note or (f" Try a smaller learning rate (now {lr})." if self._named_optimizer else
                      " Try a smaller learning rate in the optimizer transform passed.")))

    # ------------------------------------------------------------------ full training -----------
    def fit(self, X: Any, y: Any, sample_weight: Any = None, epochs: int = 200,
            validation_data: tuple | None = None, metrics: dict | None = None,
            validation_fraction: float | None = None) -> list[dict]:
        """Train for ``epochs`` epochs (fewer if a callback stops it); returns ``history``.

        ``validation_data = (X_val, y_val[, sw_val])``, or ``validation_fraction`` of the rows
        held out at random, adds ``val_loss`` and, for each
        ``metrics[name](y_val, eta_val) -> float``, ``val_<name>`` to every epoch's log.
        """
        if self.network.is_numpy:
            # the compiled kernels when this run is long enough to repay loading them (and then
            # the fused route, where it applies)
            work = float(epochs) * X.shape[0] * sum(d.n_params for d in self.network.dense)
            self._long_run = _jit.long_run(work)
            _jit.load_for(work)
        if validation_data is not None:  # checked before the first epoch, not after it
            Xv, yv, *rest = validation_data
            try:
                check_training_data(self.network, self.head, Xv, yv, rest[0] if rest else None)
            except ValueError as exc:
                raise ValueError(f"validation_data: {exc}") from None
        if validation_fraction:
            if validation_data is not None:
                raise ValueError("give validation_data or validation_fraction, not both")
            X, y, sample_weight, validation_data = holdout(X, y, sample_weight,
                                                           validation_fraction, self.rng)
        callbacks = list(self.callbacks)
        if progress_enabled(self.verbose):
            callbacks.append(ProgressBar(total=epochs))
        for c in callbacks:
            c.on_train_begin(self)
        try:
            for _ in range(int(epochs)):
                t0 = time.perf_counter()
                loss = self.train_batches(X, y, sample_weight)
                logs = epoch_logs(self, loss, validation_data, metrics, time.perf_counter() - t0)
                self.history.append(logs)
                self.optimizer.observe(self.opt_state, logs.get("val_loss", loss))
                stop = [c.on_epoch_end(self, logs) for c in callbacks]
                if any(stop):
                    break
        finally:
            for c in callbacks:
                c.on_train_end(self)
        return self.history


def _finite(a: Any) -> bool:
    """True when every entry of ``a`` is finite (one reduction, no boolean temporary)."""
    if isinstance(a, np.ndarray):
        return math.isfinite(float(np.add.reduce(a, axis=None)))
    return math.isfinite(float(namespace(a).sum(a)))
