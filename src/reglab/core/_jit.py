"""Fused elementwise kernels, compiled with numba when it is importable.

NumPy runs one pass over memory per ufunc call: an Adam step is nine passes, a ReLU layer's
``Z += b; A = max(Z, 0)`` two, its backward ``dZ = dA * (A > 0); db = dZ.sum(0)`` three. The
kernels below do each in one pass. They are written here, loop by loop, and compiled by numba
on first use (a few seconds, once per environment: the result is cached on disk, and later
processes pay only numba's import and start-up, ~0.8 s); the formulas
are the same as the NumPy code they replace, in the same dtype and (for the sums) in the same
order, and the tests check them against that code.

When they are used: numba's import and first kernel call cost ~0.8 s per process, which a
short training would not win back, so by default (``REGLAB_JIT`` unset or ``auto``) a training
run loads them when its expected work, epochs x rows x parameters, is at least
:data:`MIN_WORK` (or when they are already loaded); ``REGLAB_JIT=1`` loads them for every
training run and ``REGLAB_JIT=0`` never. Results are the same either way: bit for bit for the
kernels here, to rounding for the whole-epoch kernel they also enable for ReLU networks
(:mod:`reglab.nn._fused`). Without numba every caller keeps its NumPy route: the JIT is a
speed-up, never a requirement.

No ``fastmath``: results stay IEEE-exact (NaN propagates as in NumPy, no reciprocal
approximations); ``error_model="numpy"`` lets LLVM vectorise the divisions (the default Python
error model puts a zero-division branch in every loop).
"""

from __future__ import annotations

import os
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from reglab._warn import user_stacklevel

__all__ = ["kernels", "load", "load_for", "long_run", "mode", "reset", "usable", "JIT_DTYPES",
           "MIN_WORK"]

JIT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
SOFTMAX_MAX_K = 128  # softmax_finish sums rows of at most this many classes
# expected epochs x rows x parameters from which "auto" loads the kernels: at ~7e-11 s per unit
# (the large MLP benchmark on NumPy) such a run takes >= ~3.5 s, and the kernels' ~25% saving
# then repays their ~0.8 s load
MIN_WORK = 5e10

_STATE: dict[str, Any] = {}


def mode() -> str:
    """``"off"``, ``"on"`` or ``"auto"``, from ``REGLAB_JIT`` (read once per process; see
    :func:`reset`): ``0``/``off``/``false``/``no``, ``1``/``on``/``true``/``yes``, else auto."""
    try:
        return _STATE["mode"]
    except KeyError:
        value = os.environ.get("REGLAB_JIT", "auto").strip().lower()
        _STATE["mode"] = ("off" if value in ("0", "off", "false", "no") else
                          "on" if value in ("1", "on", "true", "yes") else "auto")
        return _STATE["mode"]


def kernels() -> SimpleNamespace | None:
    """The compiled kernels if they are loaded and not switched off, else None (never loads:
    the hot paths call this)."""
    if mode() == "off":
        return None
    return _STATE.get("compiled")


def load() -> SimpleNamespace | None:
    """Import numba and build the kernels (once per process), unless ``REGLAB_JIT=0``; None
    when numba is missing or unusable. Compilation itself is lazy per kernel and dtype (numba
    compiles on the first call with a new signature, or loads it from its disk cache)."""
    if mode() == "off":
        return None
    if "compiled" not in _STATE:
        _STATE["compiled"] = _build()
    return _STATE["compiled"]


def long_run(work: float) -> bool:
    """True when a training run of ``work`` = epochs x rows x parameters is one the kernels are
    for: always with ``REGLAB_JIT=1``, in auto mode when ``work >= MIN_WORK``, never when off.
    It depends on the run alone, never on what ran before in the process."""
    return mode() == "on" or (mode() == "auto" and work >= MIN_WORK)


def load_for(work: float) -> SimpleNamespace | None:
    """The kernels for a training run of ``work`` = epochs x rows x parameters: loaded if
    :func:`long_run`; else whatever is loaded."""
    if long_run(work):
        return load()
    return kernels()


def reset() -> None:
    """Read ``REGLAB_JIT`` again on the next call (compiled kernels are kept)."""
    _STATE.pop("mode", None)


def usable(*arrays: Any) -> bool:
    """True when every array is a C-contiguous NumPy float32/float64 array of one dtype."""
    dtype = getattr(arrays[0], "dtype", None)
    if dtype not in JIT_DTYPES:
        return False
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True


def _build() -> SimpleNamespace | None:
    try:
        import numba
    except Exception:  # not installed, or built for another NumPy: the NumPy route stays
        return None
    try:
        return _compile(numba)
    except Exception as exc:  # pragma: no cover - a numba that cannot compile here
        warnings.warn(f"reglab: numba is installed but unusable ({exc}); using NumPy kernels",
                      RuntimeWarning, stacklevel=user_stacklevel())
        return None


def _compile(numba: Any) -> SimpleNamespace:
    from reglab.core._jit_adam import adam_apply  # imports numba (shared with the fused route)

    jit = numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)

    # Python float literals would be float64 inside a kernel and turn float32 arithmetic into
    # float64 (half the vector width): constants come in as arguments of the arrays' dtype

    @jit
    def bias_relu(z, b, zero):  # pragma: no cover - compiled
        # z <- max(z + b, 0), rows of z, as np.maximum(z + b, 0): NaN stays NaN, -0.0 gives +0
        n, k = z.shape
        for i in range(n):
            for j in range(k):
                t = z[i, j] + b[j]
                z[i, j] = zero if t <= zero else t

    @jit
    def activation_backward(a, g, db, kind, one):  # pragma: no cover - compiled
        # g <- g * f'(z) from the output a = f(z): kind 0 ReLU g * (a > 0), 1 tanh
        # g * (1 - a^2), 2 sigmoid g * ((1 - a) a); db <- column sums of the new g, rows added
        # in order (as np.add.reduce(g, axis=0)). `kind` is loop-invariant: LLVM unswitches
        # the loop, so each case still vectorises
        zero = one - one
        n, k = g.shape
        for j in range(k):
            db[j] = zero
        for i in range(n):
            for j in range(k):
                if kind == 0:
                    t = g[i, j] if a[i, j] > zero else zero * g[i, j]
                elif kind == 1:
                    t = g[i, j] * (one - a[i, j] * a[i, j])
                else:
                    t = g[i, j] * ((one - a[i, j]) * a[i, j])
                g[i, j] = t
                db[j] += t

    @jit
    def bias_add(z, b):  # pragma: no cover - compiled
        n, k = z.shape
        for i in range(n):
            for j in range(k):
                z[i, j] += b[j]

    @jit
    def column_sums(g, db, zero):  # pragma: no cover - compiled
        # db <- g.sum(0), rows added in order (as np.add.reduce(g, axis=0))
        n, k = g.shape
        for j in range(k):
            db[j] = zero
        for i in range(n):
            for j in range(k):
                db[j] += g[i, j]

    @jit
    def softmax_shift(eta, out):  # pragma: no cover - compiled
        # out <- eta - max(eta, axis=1) (NaN in a row makes its max NaN, as np.max)
        n, k = eta.shape
        for i in range(n):
            mx = eta[i, 0]
            for j in range(1, k):
                if eta[i, j] > mx or eta[i, j] != eta[i, j]:
                    mx = eta[i, j]
            for j in range(k):
                out[i, j] = eta[i, j] - mx

    @jit
    def softmax_finish_rows(e, onehot, labels, use_labels, scale, zero, one):
        # e <- (e / e.sum(axis=1) - Y) * scale with Y the rows of `onehot` (one-hot or
        # probabilities) or, with use_labels, onehot(labels); returns the first row whose label
        # is outside 0..K-1 (that row untouched), or -1. The row sum follows NumPy's pairwise
        # summation for up to 128 terms (np.add.reduce along a contiguous axis): under 8 in
        # sequence, else eight interleaved partial sums; written inline, because a kernel that
        # calls another kernel defined here is not found again in numba's on-disk cache
        n, k = e.shape
        for i in range(n):
            if use_labels and (labels[i] < 0 or labels[i] >= k):
                return i
            if k < 8:
                s = zero
                for j in range(k):
                    s += e[i, j]
            else:
                r0, r1, r2, r3 = e[i, 0], e[i, 1], e[i, 2], e[i, 3]
                r4, r5, r6, r7 = e[i, 4], e[i, 5], e[i, 6], e[i, 7]
                j = 8
                stop = k - k % 8
                while j < stop:
                    r0 += e[i, j]
                    r1 += e[i, j + 1]
                    r2 += e[i, j + 2]
                    r3 += e[i, j + 3]
                    r4 += e[i, j + 4]
                    r5 += e[i, j + 5]
                    r6 += e[i, j + 6]
                    r7 += e[i, j + 7]
                    j += 8
                s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
                while j < k:
                    s += e[i, j]
                    j += 1
            if use_labels:
                for j in range(k):
                    e[i, j] = e[i, j] / s
                e[i, labels[i]] -= one
                for j in range(k):
                    e[i, j] *= scale
            else:
                for j in range(k):
                    e[i, j] = (e[i, j] / s - onehot[i, j]) * scale
        return -1

    no_rows = {dt: np.zeros((0, 0), dt) for dt in JIT_DTYPES}
    no_labels = np.zeros(0, np.int64)

    def softmax_finish(e: np.ndarray, y: np.ndarray, scale: float) -> None:
        t = e.dtype.type
        if y.ndim == 2:
            softmax_finish_rows(e, y, no_labels, False, t(scale), zero(e), one(e))
            return
        bad = softmax_finish_rows(e, no_rows[e.dtype], y, True, t(scale), zero(e), one(e))
        if bad >= 0:
            raise ValueError(f"class label {int(y[bad])} in row {int(bad)} is outside "
                             f"0..{e.shape[1] - 1}")

    def zero(a: np.ndarray) -> Any:
        return a.dtype.type(0)

    def one(a: np.ndarray) -> Any:
        return a.dtype.type(1)

    def adam(p, g, m, v, b1, b2, c1, c2):  # type: ignore[no-untyped-def]
        t = p.dtype.type
        adam_apply(p, g, m, v, t(b1), t(b2), t(c1), t(c2))

    def backward_of(kind: int) -> Any:
        return lambda a, g, db: activation_backward(a, g, db, kind, one(g))

    backward = {"relu": backward_of(0), "tanh": backward_of(1), "sigmoid": backward_of(2),
                "logistic": backward_of(2)}
    return SimpleNamespace(
        # p += Adam update (in place on p, m, v), constants cast to p's dtype
        adam=adam,
        # z <- relu(z + b)
        bias_relu=lambda z, b: bias_relu(z, b, zero(z)),
        # z <- z + b
        bias_add=bias_add,
        # db <- g.sum(axis=0)
        column_sums=lambda g, db: column_sums(g, db, zero(g)),
        # the softmax gradient around NumPy's own exp (its SIMD exp is not reproducible in a
        # kernel), for K <= SOFTMAX_MAX_K classes:
        # softmax_shift(eta, out); np.exp(out, out=out); softmax_finish(out, y, scale)
        softmax_shift=softmax_shift,
        softmax_finish=softmax_finish,
        # activation name -> f(a, g, db): g <- g * f'(z) written in a = f(z); db <- sum(g, 0)
        backward=backward,
    )
