"""reglab.solvers: IRLS (Fisher scoring) for GLMs and penalized GLMs; first-order solvers."""

from reglab.solvers.irls import ConvergenceWarning, IRLSResult, RankDeficientError, irls

__all__ = ["ConvergenceWarning", "IRLSResult", "RankDeficientError", "irls"]
