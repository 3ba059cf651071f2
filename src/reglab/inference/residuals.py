r"""GLM residuals, as R's ``residuals.glm`` defines them.

With prior weights ``w`` (binomial trials included), unit deviance ``d`` and variance ``V``:

- response:  :math:`y - \mu`
- pearson:   :math:`(y - \mu)\sqrt{w / V(\mu)}`
- deviance:  :math:`\mathrm{sign}(y - \mu)\sqrt{w\, d(y, \mu)}`
- working:   :math:`(y - \mu)\, \partial\eta/\partial\mu` (the IRLS working residual)

All arrays have shape (n,).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["glm_residuals", "RESIDUAL_KINDS"]

RESIDUAL_KINDS = ("deviance", "pearson", "response", "working")


def glm_residuals(family: Any, y: np.ndarray, mu: np.ndarray, kind: str = "deviance",
                  sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Residuals of ``kind`` (one of :data:`RESIDUAL_KINDS`) for response ``y`` and mean ``mu``."""
    w = np.ones_like(mu) if sample_weight is None else sample_weight
    r = y - mu
    if kind == "response":
        return r
    if kind == "pearson":
        return r * np.sqrt(w / family.variance(mu))
    if kind == "deviance":
        d = np.clip(family.unit_deviance(y, mu), 0.0, None)  # rounding can give -1e-17
        return np.sign(r) * np.sqrt(w * d)
    if kind == "working":
        return r * family.link.derivative(mu)
    raise ValueError(f"unknown residual kind {kind!r}; choose one of {RESIDUAL_KINDS}")
