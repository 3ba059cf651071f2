"""reglab.solvers: IRLS (Fisher scoring) for GLMs and penalized GLMs; gradient-based solvers on
the GLM objective (L-BFGS, batch and mini-batch gradient descent, multinomial Newton); the
lecture's gradient-descent path for least squares (``gradient_descent`` module)."""

from reglab.solvers.irls import (
    ConvergenceWarning,
    IRLSResult,
    RankDeficientError,
    irls,
    irls_state,
)
from reglab.solvers.lbfgs import (
    GLMObjective,
    SolverResult,
    gradient_descent_glm,
    lbfgs,
    multinomial_newton,
    sgd_glm,
    solve_first_order,
)

__all__ = ["ConvergenceWarning", "GLMObjective", "IRLSResult", "RankDeficientError",
           "SolverResult", "gradient_descent_glm", "irls", "irls_state", "lbfgs",
           "multinomial_newton", "sgd_glm", "solve_first_order"]
