"""The compiled training loop behind :mod:`reglab.nn._fused`: whole mini-batch steps, many per
call (imported only when numba is loaded: importing this module imports numba).

One call runs ``n`` consecutive Adam steps of a ``Dense -> activation -> ... -> Dense`` network
on the batches ``order[start:start + n * B]``: gather the batch rows, the forward pass, the
output gradient of the head, the backward pass and the Adam update over the flat parameter
vector, with no Python in between. The matrix products go through ``np.dot`` (numba calls
BLAS ``gemm``); the elementwise work is written out loop by loop with the formulas of the
NumPy route (:mod:`reglab.nn.layers`, :mod:`reglab.nn._fastgrad`,
:func:`reglab.core._optim_scaling.scale_by_adam`). The results agree with that route to
rounding: the products may run in scipy's BLAS instead of NumPy's, and ``exp``/``tanh`` come
from the C library instead of NumPy's SIMD loops (``tests/nn/test_fused.py``).

Module-level functions calling each other (not closures, as in :mod:`reglab.core._jit`), so
that numba's on-disk cache finds the callers again. Constants arrive as arguments of the
arrays' dtype: a Python float literal would turn float32 arithmetic into float64.
"""

from __future__ import annotations

import numba
import numpy as np

from reglab.core._jit_adam import adam_apply
from reglab.nn._fused import HEAD_IDENTITY, HEAD_LOGIT, HEAD_SOFTMAX

_jit = numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@_jit
def _gather(X, rows, out):  # pragma: no cover - compiled
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(X.shape[1]):
            out[i, j] = X[r, j]


@_jit
def _dense_forward(a_in, W, b, out, relu, zero):  # pragma: no cover - compiled
    # out <- f(a_in @ W + b), f ReLU or the identity (`relu` is loop-invariant: LLVM
    # unswitches the loop); as np.maximum(z, 0): NaN stays NaN, -0.0 gives +0
    np.dot(a_in, W, out)
    n, k = out.shape
    for i in range(n):
        for j in range(k):
            z = out[i, j] + b[j]
            out[i, j] = (zero if z <= zero else z) if relu else z


@_jit
def _head_gradient(E, Y, labels, use_labels, rows, head, scale, zero, one):
    # pragma: no cover - compiled
    # E (the batch's eta) <- (mu(eta) - y) * scale, y the rows `rows` of Y (or of labels)
    n, k = E.shape
    for i in range(n):
        r = rows[i]
        if head == HEAD_SOFTMAX:
            mx = E[i, 0]
            for j in range(1, k):
                if E[i, j] > mx or E[i, j] != E[i, j]:
                    mx = E[i, j]
            s = zero
            for j in range(k):
                E[i, j] = np.exp(E[i, j] - mx)
                s += E[i, j]
            for j in range(k):
                E[i, j] = E[i, j] / s
        else:
            for j in range(k):
                e = E[i, j]
                E[i, j] = (e if head == HEAD_IDENTITY else one / (one + np.exp(-e))
                           if head == HEAD_LOGIT else np.exp(e))
        if use_labels:
            E[i, labels[r]] -= one
            for j in range(k):
                E[i, j] *= scale
        else:
            for j in range(k):
                E[i, j] = (E[i, j] - Y[r, j]) * scale


@_jit
def _dense_backward(a_in, W, delta, dW, alpha, d_prev, db_prev, relu_prev, zero):
    # pragma: no cover - compiled
    # dW <- a_in.T @ delta (+ alpha W); with d_prev: d_prev <- (delta @ W.T) * f'(z) of the
    # previous layer, written in its output a_in = f(z) (ReLU: a_in > 0), db_prev <- its sums
    np.dot(a_in.T, delta, dW)
    if alpha != zero:
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                dW[i, j] += W[i, j] * alpha
    if d_prev.shape[0] == 0:
        return
    np.dot(delta, W.T, d_prev)
    n, k = d_prev.shape
    for j in range(k):
        db_prev[j] = zero
    for i in range(n):
        for j in range(k):
            t = d_prev[i, j]
            if relu_prev:
                t = t if a_in[i, j] > zero else zero * t
            d_prev[i, j] = t
            db_prev[j] += t


@_jit
def _column_sums(g, out, zero):  # pragma: no cover - compiled
    for j in range(g.shape[1]):
        out[j] = zero
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            out[j] += g[i, j]


@_jit
def _penalty(theta, n_w):  # pragma: no cover - compiled
    s = 0.0
    for i in range(n_w):
        s += np.float64(theta[i]) * np.float64(theta[i])
    return s


@_jit
def _views(flat, sizes, l, offset):  # pragma: no cover - compiled
    return flat[offset:offset + sizes[l] * sizes[l + 1]].reshape((sizes[l], sizes[l + 1]))


@_jit
def train_steps(X, Y, labels, use_labels, head, order, start, n_steps, batch, theta, dtheta,
                m, v, b1, b2, c1, c2, alpha, alpha64, sizes, relu, acts, d_a, d_b, eta_out,
                pen_out, inv, zero, one):  # pragma: no cover - compiled
    """``n_steps`` Adam steps on the batches of ``order`` from ``start``; returns the rows used.

    ``theta``/``dtheta``: the flat ``[W_1 .. W_L | b_1 .. b_L]`` parameters and gradients;
    ``sizes`` the layer widths ``(n_in, h_1, ..., n_out)``; ``relu`` whether each layer's
    activation is ReLU (else the identity; the output layer's is); ``acts`` room for the batch
    and every layer's output, ``d_a``/``d_b`` for the backward deltas; ``eta_out`` receives
    each batch's ``eta`` (for the epoch loss), ``pen_out`` the penalty ``alpha/2 ||W||^2``
    before each step; ``c1``/``c2`` the Adam constants of each step (``steps`` of
    :func:`reglab.core._optim_scaling.scale_by_adam`); ``inv[k - 1] = 1 / k`` in the arrays'
    dtype (the mean over a batch of ``k`` rows).
    """
    n_layers = sizes.shape[0] - 1
    n_w = 0
    for layer in range(n_layers):
        n_w += sizes[layer] * sizes[layer + 1]
    n = order.shape[0]
    done = 0
    for step in range(n_steps):
        s = start + step * batch
        nr = min(s + batch, n) - s
        rows = order[s:s + nr]
        if alpha64 != 0.0:
            pen_out[step] = 0.5 * alpha64 * _penalty(theta, n_w)
        a_in = acts[:nr * sizes[0]].reshape((nr, sizes[0]))
        _gather(X, rows, a_in)
        oa, ow, ob = nr * sizes[0], 0, n_w
        for layer in range(n_layers):
            k = sizes[layer + 1]
            out = acts[oa:oa + nr * k].reshape((nr, k))
            _dense_forward(a_in, _views(theta, sizes, layer, ow), theta[ob:ob + k], out,
                           relu[layer], zero)
            a_in = out
            oa, ow, ob = oa + nr * k, ow + sizes[layer] * k, ob + k
        for i in range(nr):  # (a slice assignment here took numba ~6 s more to compile)
            for j in range(a_in.shape[1]):
                eta_out[done + i, j] = a_in[i, j]
        _head_gradient(a_in, Y, labels, use_labels, rows, head, inv[nr - 1], zero, one)
        _column_sums(a_in, dtheta[ob - sizes[n_layers]:ob], zero)
        delta = a_in
        for layer in range(n_layers - 1, -1, -1):
            k = sizes[layer + 1]
            oa -= nr * k
            ow -= sizes[layer] * k
            ob -= k
            w_in = sizes[layer]
            a_prev = acts[oa - nr * w_in:oa].reshape((nr, w_in))
            d_buf = d_a if layer % 2 == 0 else d_b
            rows_prev = nr if layer > 0 else 0
            d_prev = d_buf[:rows_prev * w_in].reshape((rows_prev, w_in))
            db_prev = dtheta[ob - w_in:ob] if layer > 0 else dtheta[ob:ob]
            _dense_backward(a_prev, _views(theta, sizes, layer, ow), delta,
                            _views(dtheta, sizes, layer, ow), alpha, d_prev, db_prev,
                            relu[layer - 1] if layer > 0 else False, zero)
            delta = d_prev
        adam_apply(theta, dtheta, m, v, b1, b2, c1[step], c2[step])
        done += nr
    return done
