"""reglab.viz: matplotlib figures in one style, the HTML report and the demo tour."""

from reglab.viz.nnplots import (
    activation_gallery,
    classifier_grid,
    decision_regions,
    grid_proba,
    universal_approximation,
)
from reglab.viz.plots import (
    Feature,
    column_features,
    feature_dependence,
    fit_lines,
    gd_animation,
    gd_snapshots,
    loss_curves,
    partial_dependence,
    partial_effects,
    residual_diagnostics,
    square_error,
)
from reglab.viz.report import Report
from reglab.viz.style import style, to_png

__all__ = ["Feature", "Report", "activation_gallery", "classifier_grid", "column_features",
           "decision_regions", "feature_dependence", "fit_lines",
           "gd_animation", "gd_snapshots", "grid_proba", "loss_curves", "partial_dependence",
           "partial_effects", "residual_diagnostics", "square_error", "style", "to_png",
           "universal_approximation"]
