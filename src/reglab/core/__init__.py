"""reglab's math core: activations, softmax, links, families, losses. No estimators, no I/O.

The optimizer transforms (:mod:`reglab.core.optimizers`) and weight initialisers
(:mod:`reglab.core.init`) live beside these modules and are imported from there.
"""

from __future__ import annotations

from .activations import ACTIVATIONS, Activation, get_activation, sigmoid
from .families import (
    FAMILIES,
    Bernoulli,
    Binomial,
    Categorical,
    Family,
    Gamma,
    Gaussian,
    InverseGaussian,
    NegativeBinomial,
    Poisson,
    Tweedie,
    get_family,
    one_hot,
)
from .links import LINKS, Link, get_link
from .losses import LOSSES, AbsoluteError, Huber, Loss, SquaredError, get_loss
from .softmax import (
    cross_entropy,
    log_softmax,
    logsumexp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

__all__ = [
    # activations
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid",
    # softmax
    "cross_entropy", "log_softmax", "logsumexp", "softmax", "softmax_jacobian", "softmax_vjp",
    # links
    "LINKS", "Link", "get_link",
    # families
    "FAMILIES", "Family", "Gaussian", "Binomial", "Bernoulli", "Poisson", "Gamma",
    "InverseGaussian", "NegativeBinomial", "Tweedie", "Categorical", "get_family", "one_hot",
    # losses
    "LOSSES", "Loss", "SquaredError", "AbsoluteError", "Huber", "get_loss",
]
