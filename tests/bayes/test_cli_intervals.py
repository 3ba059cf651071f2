"""The CLI's prediction interval of a Bayesian model uses every kept draw, and never asks for
more than were kept (which sample_posterior_predictive would warn about)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("numpyro")


def test_prediction_interval_on_few_kept_draws_is_silent_and_brackets_the_draws():
    from reglab._cli_models import interval_bounds
    from reglab.bayes import ErrorsInVariablesRegression

    rng = np.random.default_rng(0)
    x = np.linspace(0, 9, 12)
    y = 1 + 0.5 * x + rng.normal(scale=0.3, size=12)
    m = ErrorsInVariablesRegression(num_samples=60, num_warmup=60, num_chains=1,
                                    random_state=0, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: the ESS warning is expected here
        m.fit(x[:, None], y, x_err=np.full((12, 1), 0.1), y_err=np.full(12, 0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lo, hi = interval_bounds(m, x[:3, None], "prediction", 0.9, {})
    assert np.all(np.isfinite(lo)) and np.all(lo < hi)
    # the same request past the kept draws is what warns (and what the CLI no longer makes)
    with pytest.warns(UserWarning, match="60"):
        m.sample_posterior_predictive(x[:3, None], n_draws=4000)
