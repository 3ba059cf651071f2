"""Output heads: the loss object at the end of a network, from a name or a saved mapping.

A head is a core :class:`~reglab.core.families.Family` (gaussian, binomial, categorical,
poisson, gamma, negative_binomial, tweedie, ...) or a robust loss of :mod:`reglab.core.losses`
(absolute_error, huber); the trainer uses its ``gradient_hessian``, ``loss`` and ``check_y``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_head"]


def get_head(loss: Any, **params: Any) -> Any:
    """A loss object from a name or a ``to_dict()`` mapping: a robust loss of
    ``reglab.core.losses`` or a family; objects are returned as they are."""
    from reglab.core import losses
    from reglab.core.families import get_family

    if isinstance(loss, dict):
        spec = dict(loss)
        name = spec.pop("name")
        if name in losses.LOSSES:
            return losses.LOSSES[name](**spec, **params)
        return get_family({"name": name, **spec}, **params)
    if not isinstance(loss, str):
        return loss
    if loss in losses.LOSSES:
        return losses.LOSSES[loss](**params)
    return get_family(loss, **params)
