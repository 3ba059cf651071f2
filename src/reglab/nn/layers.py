"""Layers with a forward pass and a hand-written backward pass, batch-first.

The lecture material writes one layer as ``A = g(W X + b)`` with examples as *columns*; reglab
stores examples as *rows*, so the same computation is its transpose::

    Z = X @ W + b          X: (n, n_in), W: (n_in, n_out), b: (n_out,), Z: (n, n_out)
    A = g(Z)

and backpropagation of an upstream gradient ``dZ = dL/dZ`` (shape ``(n, n_out)``) is::

    dW = X.T @ dZ          (n_in, n_out)
    db = dZ.sum(axis=0)    (n_out,)
    dX = dZ @ W.T          (n, n_in)
    dZ = dA * g'(Z)        (activation layer, elementwise)

Every layer has ``forward(x, training)`` and ``backward(g)``; ``backward`` must follow a
``forward(..., training=True)`` on the same batch. On NumPy, training-mode passes write into
buffers owned by the layer (reused from batch to batch, so the hot loop allocates nothing) and the
activation layers work in place; evaluation-mode passes return fresh arrays. On any other array
namespace the same formulas run out of place through the array API.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from reglab.core import _jit
from reglab.core._xp import namespace

__all__ = ["Layer", "Dense", "Activation", "Dropout", "FAST_ACTIVATIONS"]


class Layer:
    """Base class: a differentiable map ``forward(x) -> y`` with ``backward(dL/dy) -> dL/dx``."""

    n_params = 0

    def forward(self, x: Any, training: bool = False, cache: bool = True) -> Any:
        """``cache=False``: keep nothing for a backward pass (predictions; safe to call between
        another caller's forward and backward)."""
        raise TypeError(f"{type(self).__name__} must define forward")

    def backward(self, g: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must define backward")

    def _buffer(self, name: str, n: int, cols: int, dtype: Any) -> np.ndarray:
        """A reusable ``(n, cols)`` C-contiguous NumPy buffer (a row slice of a larger one)."""
        buf = self.__dict__.get("_buf_" + name)
        if buf is None or buf.shape[0] < n or buf.shape[1] != cols or buf.dtype != dtype:
            buf = np.empty((n, cols), dtype=dtype)
            self.__dict__["_buf_" + name] = buf
        return buf[:n]

    def spec(self) -> dict:
        """JSON-able description of the layer (no weights)."""
        return {"type": type(self).__name__}


def _gemm(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = a @ b`` for 2-D NumPy arrays.

    ``np.dot`` when the dtypes agree: it goes straight to BLAS, where ``np.matmul`` measured
    5x slower on the ``(n, 1) @ (1, h)`` outer product of a one-output layer's input gradient
    (21 vs 4 us at h = 64) and 5-25% slower on the other training shapes. ``np.dot`` cannot
    cast into ``out``, so mixed dtypes (float64 data, float32 network) keep ``matmul``.
    """
    if a.dtype == b.dtype == out.dtype:
        return np.dot(a, b, out=out)
    return np.matmul(a, b, out=out)


class Dense(Layer):
    """Affine layer ``Z = X @ W + b`` with ``W: (n_in, n_out)`` and ``b: (n_out,)``.

    ``W``, ``b`` and their gradients ``dW``, ``db`` are set by the network (on NumPy they are
    views into one flat parameter vector so that an optimizer step is a handful of calls).
    ``needs_input_grad=False`` skips ``dX`` (the first layer never needs it).
    """

    def __init__(self, n_in: int, n_out: int, init: str = "glorot") -> None:
        if n_in < 1 or n_out < 1:
            raise ValueError(f"Dense layer sizes must be positive, got ({n_in}, {n_out})")
        self.n_in, self.n_out, self.init = int(n_in), int(n_out), init
        self.n_params = self.n_in * self.n_out + self.n_out
        self.needs_input_grad = True
        # the Activation right after this layer, set by Sequential: in a training pass on NumPy
        # with the compiled kernels, Sequential runs the pair as product() then that layer's
        # forward_fused(), which adds the bias inside the activation's own pass (and its
        # backward then sums db while it forms dZ)
        self.fused: Activation | None = None
        self._db_filled = False
        self.W: Any = None
        self.b: Any = None
        self.dW: Any = None
        self.db: Any = None
        self._x: Any = None

    def forward(self, x: Any, training: bool = False, cache: bool = True) -> Any:
        if training and isinstance(x, np.ndarray):
            out = self.product(x, cache)
            out += self.b
            return out
        if cache:
            self._x = x
        return x @ self.W + self.b

    def product(self, x: np.ndarray, cache: bool = True) -> np.ndarray:
        """Training pass on NumPy without the bias: ``x @ W`` into this layer's buffer."""
        if cache:
            self._x = x
        out = self._buffer("z", x.shape[0], self.n_out, self.W.dtype)
        return _gemm(x, self.W, out)

    def backward(self, g: Any) -> Any:
        x = self._x
        if isinstance(g, np.ndarray):
            _gemm(x.T, g, self.dW)
            if self._db_filled:  # by the fused activation's backward pass
                self._db_filled = False
            elif g.shape[1] > 1 and (jit := _jit.kernels()) is not None \
                    and _jit.usable(g, self.db):
                # np.add.reduce costs ~14 us even at 256 x 10; the kernel adds the rows in
                # NumPy's order (one column is a contiguous vector, which NumPy sums pairwise)
                jit.column_sums(g, self.db)
            else:
                # (a ones-vector GEMV was 2-3x faster on the loaded dev machine but 5-20%
                # slower end to end on a quiet one: the plain reduction stays)
                np.add.reduce(g, axis=0, out=self.db)
            if not self.needs_input_grad:
                return None
            dx = self._buffer("dx", g.shape[0], self.n_in, g.dtype)
            return _gemm(g, self.W.T, dx)
        xp = namespace(g)
        self.dW = xp.matrix_transpose(x) @ g
        self.db = xp.sum(g, axis=0)
        return g @ xp.matrix_transpose(self.W) if self.needs_input_grad else None

    def spec(self) -> dict:
        return {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out, "init": self.init}


# NumPy in-place kernels: forward overwrites z with a = f(z); backward overwrites g with
# g * f'(z) written in terms of the output a (so z need not be kept). `tmp` is a scratch buffer.
def _relu_fwd(z: np.ndarray) -> None:
    np.maximum(z, 0, out=z)


def _relu_bwd(a: np.ndarray, g: np.ndarray, mask: np.ndarray) -> None:
    # a > 0 exactly where z > 0. A preallocated bool mask times g measured 2.5x faster than
    # sign(a) * g (32 vs 80 us at 256 x 256 float32) and 15x faster than putmask / copyto(where)
    np.greater(a, 0, out=mask)
    np.multiply(g, mask, out=g)


def _tanh_fwd(z: np.ndarray) -> None:
    np.tanh(z, out=z)


def _tanh_bwd(a: np.ndarray, g: np.ndarray, tmp: np.ndarray) -> None:
    np.multiply(a, a, out=tmp)
    np.subtract(1, tmp, out=tmp)
    g *= tmp


def _sigmoid_fwd(z: np.ndarray) -> None:
    expit(z, out=z)


def _sigmoid_bwd(a: np.ndarray, g: np.ndarray, tmp: np.ndarray) -> None:
    np.subtract(1, a, out=tmp)
    tmp *= a
    g *= tmp


def _identity_fwd(z: np.ndarray) -> None:
    return None


def _identity_bwd(a: np.ndarray, g: np.ndarray, tmp: np.ndarray) -> None:
    return None


FAST_ACTIVATIONS = {
    "relu": (_relu_fwd, _relu_bwd),
    "tanh": (_tanh_fwd, _tanh_bwd),
    "sigmoid": (_sigmoid_fwd, _sigmoid_bwd),
    "logistic": (_sigmoid_fwd, _sigmoid_bwd),
    "identity": (_identity_fwd, _identity_bwd),
}


class Activation(Layer):
    """Elementwise nonlinearity from the core registry (``reglab.core.activations``).

    Backward: ``dZ = dA * f'(Z)`` via the activation's ``vjp(z, a, g)``. On NumPy, ``relu``,
    ``tanh``, ``sigmoid`` and ``identity`` use fused in-place kernels that need only ``a``.

    Right after a Dense layer, in a training pass on NumPy with the compiled kernels
    (:mod:`reglab.core._jit`), :class:`~reglab.nn.network.Sequential` runs the pair fused:
    ``Dense.product`` then :meth:`forward_fused`, which computes ``f(Z + b)`` (one pass for
    ReLU); the backward pass then fills the Dense layer's ``db = dZ.sum(0)`` while it forms
    ``dZ``. The numbers are the same as without the fusion.
    """

    def __init__(self, activation: Any = "relu", **params: Any) -> None:
        from reglab.core.activations import get_activation

        self.activation = get_activation(activation, **params)
        self.name = self.activation.name
        self.params = params
        self._fast = FAST_ACTIVATIONS.get(self.name) if not params else None
        # set by Sequential when the input is a Dense output (never the caller's data)
        self.inplace = False
        self.dense: Dense | None = None  # that Dense layer (Sequential sets both links)
        self._fused_db = False  # the cached pass was fused: backward may fill dense.db
        self._x: Any = None
        self._y: Any = None

    def fusion(self, z: Any, b: Any) -> Any:
        """The compiled kernels if this layer can take the preceding Dense layer's bias into
        its own pass for ``z = X @ W`` (NumPy, kernels loaded, relu/tanh/sigmoid, one float
        dtype, more than one unit: NumPy sums a one-column db pairwise), else None."""
        if self._fast is None or type(z) is not np.ndarray or z.ndim != 2 or z.shape[1] < 2:
            return None
        jit = _jit.kernels()
        return jit if jit is not None and self.name in jit.backward and _jit.usable(z, b) \
            else None

    def forward_fused(self, z: np.ndarray, b: np.ndarray, jit: Any,
                      cache: bool = True) -> np.ndarray:
        """``f(z + b)`` in place on the preceding Dense layer's product ``z`` (training pass;
        ``jit`` from :meth:`fusion`): one pass for ReLU, the bias add then NumPy's tanh/expit."""
        if self.name == "relu":
            jit.bias_relu(z, b)
        else:
            jit.bias_add(z, b)
            self._fast[0](z)
        if cache:
            self._x, self._y, self._fused_db = None, z, True
        return z

    def forward(self, x: Any, training: bool = False, cache: bool = True) -> Any:
        if self._fast is not None and self.inplace and isinstance(x, np.ndarray):
            # x is the preceding Dense layer's output, which this layer may overwrite
            self._fast[0](x)
            if cache:
                self._x, self._y, self._fused_db = None, x, False
            return x
        y = self.activation(x)
        if cache:
            self._x, self._y, self._fused_db = x, y, False
        return y

    def backward(self, g: Any) -> Any:
        # (if the kernels went away since the forward pass, the plain route below is still
        # right: the fusion only moved the bias add, and Dense then sums db itself)
        jit = _jit.kernels() if self._fused_db else None
        if jit is not None and isinstance(g, np.ndarray) and _jit.usable(g, self._y):
            jit.backward[self.name](self._y, g, self.dense.db)
            self.dense._db_filled = True
            return g
        if self._x is None and self._y is not None and isinstance(g, np.ndarray):
            dtype = bool if self._fast[1] is _relu_bwd else g.dtype
            tmp = self._buffer("tmp", g.shape[0], g.shape[1], np.dtype(dtype))
            self._fast[1](self._y, g, tmp)
            return g
        return self.activation.vjp(self._x, self._y, g)

    def spec(self) -> dict:
        return {"type": "Activation", "activation": self.name, **self.params}


class Dropout(Layer):
    """Inverted dropout: in training ``y = x * m / (1 - rate)``, ``m ~ Bernoulli(1 - rate)``;
    identity at evaluation, so no rescaling is needed at prediction time. Backward:
    ``dx = g * m / (1 - rate)``.
    """

    def __init__(self, rate: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = np.random.default_rng(seed)
        self._mask: Any = None

    def forward(self, x: Any, training: bool = False, cache: bool = True) -> Any:
        if not training or self.rate == 0.0:
            if cache:
                self._mask = None
            return x
        keep = 1.0 / (1.0 - self.rate)
        if isinstance(x, np.ndarray):
            mask = self._buffer("mask", x.shape[0], x.shape[1], x.dtype)
            self.rng.random(out=mask, dtype=x.dtype)
            # mask <- (u >= rate) * keep without a bool temporary: floor(u - rate + 1) is 1 or 0
            mask -= self.rate
            mask += 1.0
            np.floor(mask, out=mask)
            mask *= keep
            self._mask = mask
            # its own output buffer: x may be the caller's data (dropout on the inputs)
            return np.multiply(x, mask, out=self._buffer("y", x.shape[0], x.shape[1], x.dtype))
        xp = namespace(x)
        u = xp.asarray(self.rng.random(tuple(x.shape)), dtype=x.dtype)
        self._mask = xp.astype(u >= self.rate, x.dtype) * keep
        return x * self._mask

    def backward(self, g: Any) -> Any:
        if self._mask is None:
            return g
        if isinstance(g, np.ndarray):
            g *= self._mask
            return g
        return g * self._mask

    def spec(self) -> dict:
        return {"type": "Dropout", "rate": self.rate}
