"""Residual scales for the reports: Pearson residuals with the model's own variance function
(its family, NB2's fitted alpha, a Bayesian NB's posterior alpha), raw residuals for a model
that assumes a constant variance or has no variance function (a least-squares line, a forest),
and the words the captions use for them.

A model is judged by its own assumptions: scaling a least-squares fit's residuals by a Poisson
or Gamma variance would hide the very funnel that says its constant variance is wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reglab._ladder import _final

__all__ = ["pearson_scale", "scaling_words"]

# unit variance V(mu) of each family, as the residual captions write it
_VARIANCE = {"gaussian": ("Gaussian", "1"), "poisson": ("Poisson", "mu"),
             "gamma": ("Gamma", "mu^2"), "inverse_gaussian": ("inverse Gaussian", "mu^3"),
             "negative_binomial": ("negative binomial", "mu + alpha mu^2"),
             "tweedie": ("Tweedie", "mu^power"), "binomial": ("binomial", "mu (1 - mu)"),
             "bernoulli": ("Bernoulli", "mu (1 - mu)")}
_PEARSON = "as Pearson residuals (y - mu) / sqrt(V(mu)) with the"


def _family_words(fam: Any) -> str:
    """``"negative binomial variance mu + alpha mu^2, alpha = 0.255 from the fit on all rows"``."""
    name = getattr(fam, "name", type(fam).__name__)
    if name == "poisson" and getattr(fam, "alpha", None) == 0:  # NegativeBinomial, Poisson limit
        return ("negative binomial variance mu + alpha mu^2 at alpha = 0 (the Poisson variance "
                "mu), alpha from the fit on all rows")
    title, formula = _VARIANCE.get(name, (name.replace("_", " "), "V(mu)"))
    params = ", ".join(f"{k} = {v:.3g}" for k, v in getattr(fam, "params", {}).items())
    return f"{title} variance {formula}" + (f", {params} from the fit on all rows" if params
                                            else " of the model's family")


def pearson_scale(model: Any, mu: np.ndarray, task: str = "") -> tuple[np.ndarray | None, str]:
    """``(sqrt(V(mu)) or None, words)`` for the residuals of ``model``'s predictions ``mu (n,)``.

    V is the variance function of the refitted model's ``family_`` when it has one (GLM,
    NegativeBinomial: ``mu + alpha mu^2`` with the fitted alpha, GAM, a network's family head),
    or a Bayesian NB's with its posterior-mean alpha; None (raw residuals) for a model without
    one (least squares, a forest), a constant one (Gaussian), or one that is not positive at
    every ``mu``. ``task`` is not used to invent a variance the model does not assume.
    """
    final = _final(model)
    fam = getattr(final, "family_", None)  # a fitted network's too: the head it trained with
    alpha = getattr(final, "dispersion_", None)
    if fam is None and getattr(final, "family", None) == "negative_binomial" and alpha is not None:
        # a Bayesian NB model: its posterior-mean alpha in NB2's variance
        if np.all(mu > 0):
            return np.sqrt(mu + float(alpha) * mu**2), (
                f"{_PEARSON} negative binomial variance mu + alpha mu^2, alpha = "
                f"{float(alpha):.3g} (posterior mean, fit on all rows)")
        return None, "raw residuals (some predicted means are <= 0: no negative binomial variance)"
    if fam is not None and callable(getattr(fam, "variance", None)):
        if getattr(fam, "name", "") == "gaussian":
            return None, "raw residuals (the model's Gaussian variance is constant)"
        with np.errstate(all="ignore"):
            var = np.asarray(fam.variance(mu), float)
        if np.all(np.isfinite(var) & (var > 0)):
            return np.sqrt(var), f"{_PEARSON} {_family_words(fam)}"
        return None, f"raw residuals (the model's {_family_words(fam)} is not positive at " \
                     "every prediction)"
    return None, "raw residuals (the model assumes a constant variance or has no variance function)"


def scaling_words(task: str = "") -> str:
    """How the residual panels are scaled, for the section text."""
    return (": Pearson residuals (y - mu) / sqrt(V(mu)) with the variance function of a model "
            "that has a non-constant one (its family, fitted on all rows), raw residuals for a "
            "model that assumes a constant variance or has none (least squares, a forest): each "
            "model judged by its own assumptions.")
