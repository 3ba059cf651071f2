"""reglab.inference: standard errors, Wald tests and intervals, information criteria, residuals,
negative-binomial dispersion, separation checks, R-like coefficient tables, nested-model tests
(anova) and influence measures."""

from reglab.inference.anova import AnovaTable, anova
from reglab.inference.glm_stats import (
    WaldTest,
    covariance,
    information_criteria,
    ml_scale,
    pearson_chi2,
    pearson_dispersion,
    r_loglik,
    response_interval,
    wald_test,
)
from reglab.inference.influence import glm_influence, lm_influence
from reglab.inference.nb import nb_loglik, poisson_limit_score, theta_ml, theta_score
from reglab.inference.residuals import RESIDUAL_KINDS, glm_residuals
from reglab.inference.separation import Separation, SeparationWarning, detect_separation
from reglab.inference.table import (
    coef_table,
    format_pvalue,
    format_summary,
    format_table,
    significance_stars,
)

__all__ = [
    "AnovaTable", "anova", "glm_influence", "lm_influence",
    "RESIDUAL_KINDS", "Separation", "SeparationWarning", "WaldTest", "coef_table", "covariance",
    "detect_separation", "format_pvalue", "format_summary", "format_table", "glm_residuals",
    "information_criteria", "ml_scale", "nb_loglik", "pearson_chi2", "pearson_dispersion",
    "poisson_limit_score", "r_loglik", "response_interval", "significance_stars", "theta_ml",
    "theta_score", "wald_test",
]
