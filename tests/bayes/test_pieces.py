"""Pieces that need no sampling: input checks, priors, the closed-form marginal likelihood,
the prior Jacobians, diagnostics in words, the lazy import."""

from __future__ import annotations

import subprocess
import sys
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.integrate import quad

from reglab.bayes import BayesianGLM, ErrorsInVariablesRegression, Prior, Priors, SamplingWarning
from reglab.bayes._mcmc import diagnose

from .conftest import simulate_eiv

X, Y, XE, YE = simulate_eiv(np.random.default_rng(0), n=20)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x_err": -XE}, r"x_err must be finite and >= 0.*row 0"),
        ({"y_err": np.where(np.arange(20) == 4, np.nan, YE)}, r"y_err .* nan at row 4"),
        ({"x_err": XE[:-1]}, r"x_err must have shape \(20, 1\)"),
        ({"y_err": YE[:5]}, r"y_err must have shape \(20,\)"),
        ({"x_err": XE, "y_err": YE, "xy_cov": 2 * XE * YE}, "not positive semi-definite"),
    ],
)
def test_eiv_rejects_bad_error_bars(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ErrorsInVariablesRegression().fit(X, Y, **kwargs)


def test_eiv_rejects_bad_data():
    with pytest.raises(ValueError, match="y has 19 rows but X has 20"):
        ErrorsInVariablesRegression().fit(X, Y[:-1])
    bad = X.copy()
    bad[3] = np.inf
    with pytest.raises(ValueError, match="non-finite value inf at row 3"):
        ErrorsInVariablesRegression().fit(bad, Y)
    with pytest.raises(ValueError, match="column 'c' of X is constant"):
        ErrorsInVariablesRegression().fit(pd.DataFrame({"a": X, "c": 1.0}), Y)
    with pytest.raises(ValueError, match="Normal latent-x prior"):
        ErrorsInVariablesRegression(priors=Priors(latent_x=Prior.uniform(-5, 5))).fit(X, Y)
    with pytest.raises(ValueError, match="n_components"):
        ErrorsInVariablesRegression(n_components=0).fit(X, Y)
    with pytest.raises(ValueError, match="priors must be"):
        ErrorsInVariablesRegression(priors="nonsense").fit(X, Y)


def test_glm_rejects_bad_responses():
    with pytest.raises(ValueError, match=r"non-negative integer counts .* got 2.5 at row 1"):
        BayesianGLM("poisson").fit(X, np.r_[1.0, 2.5, np.ones(18)])
    with pytest.raises(ValueError, match=r"negative_binomial family, got -1.0 at row 0"):
        BayesianGLM("negative_binomial").fit(X, np.r_[-1.0, np.ones(19)])
    with pytest.raises(ValueError, match=r"0 or 1 .* got 2.0 at row 2"):
        BayesianGLM("bernoulli").fit(X, np.r_[0.0, 1.0, 2.0, np.zeros(17)])
    with pytest.raises(ValueError, match="y_err is not defined for the bernoulli"):
        BayesianGLM("bernoulli").fit(X, (Y > 1).astype(float), y_err=YE)
    with pytest.raises(ValueError, match="family must be one of"):
        BayesianGLM("gamma").fit(X, Y)


def test_failed_fit_leaves_fitted_estimator_unchanged(eiv_fit):
    before = eiv_fit.coef_.copy(), eiv_fit.samples_
    with pytest.raises(ValueError):
        eiv_fit.fit(X, Y, x_err=-XE)
    assert eiv_fit.samples_ is before[1]
    np.testing.assert_array_equal(eiv_fit.coef_, before[0])


def test_unfitted_estimator_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        ErrorsInVariablesRegression().predict(X)


def test_lecture_priors_are_the_lecture_numbers():
    p = Priors.lecture()
    for prior in (p.intercept, p.coef, p.latent_x):
        assert prior.dist == "normal" and prior.params == (0.0, pytest.approx(np.sqrt(1e3)))
    assert p.scatter == Prior("gamma", (1e-3, 1e-3)) and p.scatter_on == "variance"
    assert Priors.lecture(scatter_on="precision").scatter_on == "precision"
    g = Priors.de_souza2015()
    assert g.coef.params == (0.0, pytest.approx(1e3)) and g.latent_x == Prior.uniform(-26, -10)
    assert g.dispersion == Prior.uniform(0, 5) and g.dispersion_on == "size"
    assert Priors.from_dict(g.to_dict()) == g
    with pytest.raises(ValueError, match="positive"):
        Prior.normal(0, -1)
    with pytest.raises(ValueError, match="scatter prior must live on positive"):
        Priors(scatter=Prior.normal(0, 1))


@pytest.mark.parametrize("on", ["sd", "variance", "precision"])
def test_scatter_prior_jacobian_integrates_to_one(on):
    """positive_block samples r = log(sigma / unit) and adds log p(q) + log|dq/dr| for
    q = sigma, sigma^2 or sigma^-2: the density in r must integrate to 1 (quadrature)."""
    import jax
    from numpyro import handlers

    from reglab.bayes._models import SCATTER_POWER, positive_block

    prior = Prior.gamma(2.0, 3.0)

    def fn():
        return positive_block("scatter", 1.7, prior, SCATTER_POWER[on])

    @jax.jit  # one compilation instead of one per eager op per quadrature node
    def log_density(r):
        tr = handlers.trace(handlers.substitute(fn, data={"log_scatter_std": r})).get_trace()
        return tr["prior_scatter"]["fn"].log_prob(tr["prior_scatter"]["value"])

    total, _ = quad(lambda r: float(np.exp(log_density(r))), -15, 15, limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_marginal_likelihood_matches_explicit_gaussian_mixture():
    """The closed form against scipy: build the joint covariance of (x, y) from
    x = xi + dx, y = a + xi.b + e + dy explicitly, for p = 2 (Cholesky path), K = 2, with x-y
    error covariance; and p = 1 (2x2 path) against the p = 2 code with a dummy covariate."""
    import jax
    import jax.numpy as jnp

    from reglab.bayes._models import marginal_loglik as _marginal

    marginal_loglik = jax.jit(_marginal)  # one compilation per shape instead of one per eager op

    rng = np.random.default_rng(1)
    n, p = 6, 2
    xt, yt = rng.normal(size=(n, p)), rng.normal(size=n)
    sxx, syy = rng.uniform(0.1, 0.5, (n, p)), rng.uniform(0.1, 0.5, n)
    sxy = 0.3 * np.sqrt(sxx * syy[:, None])
    a, b, sig = 0.3, np.array([1.2, -0.7]), 0.4
    w = np.array([0.3, 0.7])
    mu = rng.normal(size=(2, p))
    L = rng.normal(size=(2, p, p))
    T = L @ np.swapaxes(L, 1, 2) + 0.5 * np.eye(p)
    got = float(marginal_loglik(*map(jnp.asarray, (xt, yt, sxx, sxy, syy)), a, jnp.asarray(b),
                                sig, jnp.asarray(w), jnp.asarray(mu), jnp.asarray(T)))
    want = 0.0
    for i in range(n):
        dens = 0.0
        for k in range(2):
            A = np.vstack([np.eye(p), b])
            cov = A @ T[k] @ A.T
            cov[p, p] += sig**2 + syy[i]
            cov[:p, :p] += np.diag(sxx[i])
            cov[:p, p] += sxy[i]
            cov[p, :p] += sxy[i]
            mean = np.r_[mu[k], a + mu[k] @ b]
            dens += w[k] * stats.multivariate_normal(mean, cov).pdf(np.r_[xt[i], yt[i]])
        want += np.log(dens)
    assert got == pytest.approx(want, rel=1e-10)
    # p = 1 closed form == general path with a second covariate whose slope is 0
    one = partial(marginal_loglik, jnp.asarray(xt[:, :1]), jnp.asarray(yt), jnp.asarray(sxx[:, :1]),
                  jnp.asarray(sxy[:, :1]), jnp.asarray(syy), a)
    v1 = float(one(jnp.asarray(b[:1]), sig, jnp.asarray(w), jnp.asarray(mu[:, :1]),
                   jnp.asarray(T[:, :1, :1])))
    T2 = np.zeros_like(T)
    T2[:, 0, 0], T2[:, 1, 1] = T[:, 0, 0], 1.0
    mu2 = mu.copy()
    mu2[:, 1] = 0.0
    # a second covariate with slope 0, independent of the first and with the same N(0, 1) latent
    # law in both components, only multiplies the density by N(x2; 0, 1 + sxx2)
    v2 = float(marginal_loglik(*map(jnp.asarray, (xt, yt, sxx, sxy * [1, 0], syy)), a,
                               jnp.asarray([b[0], 0.0]), sig, jnp.asarray(w), jnp.asarray(mu2),
                               jnp.asarray(T2)))
    x2 = stats.norm(0.0, np.sqrt(1.0 + sxx[:, 1])).logpdf(xt[:, 1]).sum()
    assert v2 == pytest.approx(v1 + x2, rel=1e-10)


def test_diagnostics_warn_in_words():
    table = pd.DataFrame({"r_hat": [1.0, 1.05], "ess": [500.0, 40.0]}, index=["a", "b"])
    with pytest.warns(SamplingWarning) as record:
        problems = diagnose(table, np.array([[False, True, True]]), num_chains=2)
    assert len(problems) == 3 and len(record) == 3
    assert "2 divergent transition(s)" in problems[0]
    assert "R-hat above 1.01 for b (worst 1.050)" in problems[1]
    assert "effective sample size below 100 for b (lowest 40)" in problems[2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert diagnose(table.iloc[:1], np.zeros((1, 3), bool), num_chains=1) == []


def test_import_needs_no_jax_and_missing_backend_says_how_to_install():
    """One subprocess: importing reglab.bayes imports neither JAX nor NumPyro; with NumPyro made
    unimportable, fit raises ImportError naming the extra."""
    code = (
        "import sys\n"
        "import reglab.bayes\n"
        "assert 'jax' not in sys.modules and 'numpyro' not in sys.modules\n"
        "sys.modules['numpyro'] = None\n"
        "try:\n"
        "    reglab.bayes.ErrorsInVariablesRegression().fit([1., 2, 3, 4], [1., 2, 3, 5])\n"
        "except ImportError as e:\n"
        "    assert \"pip install 'reglab[bayes]'\" in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_progress_bar_is_driven_by_the_compiled_loop_callback():
    """The compiled loop calls _tick(i, total) through jax.debug.callback; with a bar open the
    rich task advances, without one the call is a no-op."""
    from reglab.bayes._mcmc import _PROGRESS, SamplerConfig, _progress, _tick

    cfg = SamplerConfig(num_warmup=5, num_samples=5, num_chains=1, progress_bar=True)
    with _progress(cfg, 1, "sequential") as bar:
        assert _PROGRESS["bar"] is bar
        _tick(np.int64(4), 10)
        task = bar.progress.tasks[0]
        assert task.completed == 5 and task.total == 10
    assert _PROGRESS["bar"] is None
    _tick(np.int64(1), 10)  # no bar: nothing happens


def test_use_cpu_cores_refuses_once_jax_is_imported():
    import jax  # noqa: F401  (the test process has imported it already; make that explicit)

    from reglab.bayes import use_cpu_cores

    with pytest.raises(RuntimeError, match="before JAX is imported"):
        use_cpu_cores(2)
    with pytest.raises(ValueError, match="n must be >= 1"):
        use_cpu_cores(0)
