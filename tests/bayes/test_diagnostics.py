"""R-hat and ESS in NumPy (equal to NumPyro's), NaN diagnostics reported, summary without JAX."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from reglab.bayes import ErrorsInVariablesRegression, SamplingWarning
from reglab.bayes._diagnostics import effective_sample_size, split_rhat
from reglab.bayes._mcmc import diagnose, summary_table


@pytest.mark.parametrize("chains", [1, 2, 4])
@pytest.mark.parametrize("draws", [4, 7, 300])
def test_rhat_and_ess_equal_numpyro(chains, draws):
    """Our NumPy split R-hat and ESS against numpyro.diagnostics' split_gelman_rubin and
    effective_sample_size on autocorrelated random draws (a random walk plus noise, chains with
    different offsets, trailing shape (3,)): relative difference <= 1e-10."""
    nd = pytest.importorskip("numpyro.diagnostics")
    rng = np.random.default_rng(10 * chains + draws)
    x = (0.3 * rng.standard_normal((chains, draws, 3)).cumsum(axis=1)
         + rng.standard_normal((chains, draws, 3)) + rng.normal(size=(chains, 1, 3)))
    np.testing.assert_allclose(split_rhat(x), nd.split_gelman_rubin(x), rtol=1e-10, atol=0)
    np.testing.assert_allclose(effective_sample_size(x), nd.effective_sample_size(x),
                               rtol=1e-10, atol=0)


def test_constant_draws_give_nan_and_are_reported():
    """A chain that never moved: R-hat and ESS are NaN (0 / 0, as in NumPyro); diagnose names
    the parameter instead of passing it (NaN > 1.01 is False)."""
    tab = summary_table({"intercept": np.full((1, 500), 1.0), "coef": np.ones((1, 500, 1))
                         + np.random.default_rng(0).standard_normal((1, 500, 1))},
                        {"intercept": ["intercept"], "coef": ["x1"]})
    assert np.isnan(tab.loc["intercept", "r_hat"]) and np.isnan(tab.loc["intercept", "ess"])
    with pytest.warns(SamplingWarning) as record:
        problems = diagnose(tab, np.zeros((1, 500), bool), num_chains=1)
    assert problems == [
        "R-hat and ESS are undefined (NaN) for intercept: their draws are constant, the chain(s) "
        "never moved from the starting point, so the summary describes that point, not the "
        "posterior; check the data against the priors' supports"
    ]
    assert [str(r.message) for r in record] == problems
    few = summary_table({"intercept": np.array([[1.0, 2.0, 3.0]])}, {"intercept": ["intercept"]})
    with pytest.warns(SamplingWarning):
        assert diagnose(few, np.zeros((1, 3), bool), num_chains=1) == [
            "R-hat or ESS is undefined (NaN) for intercept: too few draws per chain (at least 4 "
            "are needed); draw more samples"
        ]


def test_loaded_model_summarises_without_jax(eiv_fit, tmp_path):
    """docs/bayes.md: a loaded model predicts, summarises and plots without JAX. A subprocess
    makes jax (and numpyro) unimportable, loads the saved model and prints summary(); it equals
    the summary of the fitted model to 1e-12."""
    path = tmp_path / "eiv.json"
    eiv_fit.save(str(path))
    code = (
        "import sys\n"
        "sys.modules['jax'] = None\n"
        "sys.modules['numpyro'] = None\n"
        "from reglab.bayes import ErrorsInVariablesRegression\n"
        f"m = ErrorsInVariablesRegression.load({str(path)!r})\n"
        "print(m.summary().to_json(orient='split', double_precision=15))\n"
        "m.plot_fit(); m.predict([0.0, 1.0])\n"
        "assert 'jax' not in sys.modules or sys.modules['jax'] is None\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    got = pd.read_json(io.StringIO(out), orient="split")
    want = eiv_fit.summary()
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    assert list(got.index) == list(want.index)


def test_reloaded_summary_is_the_same_table(eiv_fit):
    back = ErrorsInVariablesRegression.from_dict(eiv_fit.to_dict())
    pd.testing.assert_frame_equal(back.summary(), eiv_fit.summary())
