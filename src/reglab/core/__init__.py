"""reglab's math core: activations, softmax, links, families, losses. No estimators, no I/O."""

from __future__ import annotations

from .activations import ACTIVATIONS, Activation, get_activation, sigmoid
from .softmax import (
    cross_entropy,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid",
    "cross_entropy", "log_softmax", "logsumexp", "softmax", "softmax_jacobian", "softmax_vjp",
]
