"""Output heads: the loss object at the end of a network, from a name or a saved mapping.

A head is a core :class:`~reglab.core.families.Family` (gaussian, binomial, categorical,
poisson, gamma, negative_binomial, tweedie, ...) or a robust loss of :mod:`reglab.core.losses`
(absolute_error, huber); the trainer uses its ``gradient_hessian``, ``loss`` and ``check_y``.

A network's output ``eta`` is any real number, so a head's link must map every real ``eta`` to a
valid mean: ``mu = link^{-1}(eta)`` inside the family's range (``mu > 0`` for gamma, inverse
Gaussian, Poisson, ...). The canonical inverse links of gamma (``mu = 1/eta``) and inverse
Gaussian (``mu = eta^{-1/2}``) do not, so those names get the log link here, the one place every
entry point (``Trainer``, ``check_gradients``, the MLP estimators) goes through; a family object
with such a link is refused with the link to use instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["get_head", "check_link_range", "mean_range_note"]

# the set of means link^{-1} reaches over all real eta, for the registered links whose range is
# a whole mean domain; "inverse" (1/eta: any sign), "inverse_squared" (NaN for eta < 0) and
# "sqrt" (eta^2 = 0 at eta = 0) reach outside every positive domain
_LINK_RANGE = {"identity": "real", "logit": "unit", "probit": "unit", "cloglog": "unit",
               "log": "positive", "multinomial_logit": "simplex"}
_PARTIAL = ("inverse", "inverse_squared", "sqrt")
_INSIDE = {"real": ("real", "positive", "unit"), "positive": ("positive", "unit"),
           "unit": ("unit",), "simplex": ("simplex",)}
_SUGGEST = {"real": "identity", "positive": "log", "unit": "logit"}
_DOMAIN_WORDS = {"real": "any real number", "positive": "mu > 0", "unit": "0 < mu < 1",
                 "simplex": "probability rows"}


def _mean_domain(family: Any) -> str:
    """The means a family allows: its canonical link's domain (Tweedie power <= 0: real)."""
    from reglab.core.links import get_link

    if getattr(family, "name", "") == "tweedie" and family.power <= 0:
        return "real"
    return get_link(family.canonical_link).domain


def check_link_range(family: Any) -> Any:
    """Return ``family`` if its link maps every real ``eta`` into the family's means, else raise
    ValueError naming the family and link and the link to use. Robust losses (identity link,
    any real mean) and links not in the table above (user-registered) pass."""
    from reglab.core.families import Family

    if not isinstance(family, Family):
        return family
    domain, link = _mean_domain(family), family.link.name
    if (_LINK_RANGE[link] in _INSIDE[domain]) if link in _LINK_RANGE else link not in _PARTIAL:
        return family
    good, means = _SUGGEST.get(domain, family.canonical_link), _DOMAIN_WORDS[domain]
    raise ValueError(f"the {family.name} family with the {link} link cannot be a network's "
                     f"output: mu = link^-1(eta) leaves the family's means ({means})"
                     f" for some real eta, which a network can output; use link={good!r}, e.g. "
                     f"get_family({family.name!r}, link={good!r})")


def mean_range_note(head: Any, eta: Any) -> str:
    """For a divergence message: a sentence when ``mu = head.mean(eta)`` left the head's mean
    domain (or is not finite) at a finite ``eta`` (NumPy arrays; '' otherwise)."""
    link = getattr(head, "link", None)
    if link is None or not isinstance(eta, np.ndarray):
        return ""
    with np.errstate(all="ignore"):
        mu = np.asarray(head.mean(eta), dtype=np.float64)
        ok = np.isfinite(mu)
        if link.domain == "positive":
            ok &= mu > 0
        elif link.domain == "unit":
            ok &= (mu > 0) & (mu < 1)
        bad = np.flatnonzero((~ok & np.isfinite(eta)).reshape(-1))
    if not bad.size:
        return ""
    i = bad[0]
    return (f" The mean left the {getattr(head, 'name', 'head')} family's range at eta = "
            f"{eta.reshape(-1)[i]:.4g} (mu = {mu.reshape(-1)[i]:.4g} with the {link.name} link): "
            f"a smaller learning rate does not fix that; use a link that maps every eta to a "
            f"valid mean (link='log' for positive means).")


def get_head(loss: Any, **params: Any) -> Any:
    """A loss object from a name or a ``to_dict()`` mapping: a robust loss of
    ``reglab.core.losses`` or a family; objects are checked (:func:`check_link_range`) and
    returned as they are. A family name without ``link`` whose canonical link cannot reach
    only valid means (gamma, inverse_gaussian) gets the log link."""
    from reglab.core import losses
    from reglab.core.families import get_family

    if isinstance(loss, dict):
        spec = dict(loss)
        name = spec.pop("name")
        if name in losses.LOSSES:
            return losses.LOSSES[name](**spec, **params)
        return get_head(name, **spec, **params)
    if not isinstance(loss, str):
        return check_link_range(loss)
    if loss in losses.LOSSES:
        return losses.LOSSES[loss](**params)
    family = get_family(loss, **params)
    if params.get("link") is None and family.link.name in _PARTIAL:
        family = get_family(loss, **{**params, "link": "log"})
    return check_link_range(family)
