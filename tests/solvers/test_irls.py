"""The IRLS solver: closed forms, fused kernels against the Family API, blocks/threads/subsample
invariance, penalties, step halving, diagnostics."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from reglab.core.families import get_family
from reglab.solvers._irls_kernels import kernel_for
from reglab.solvers.irls import RankDeficientError, irls, irls_state

M = importlib.import_module("reglab.solvers.irls")  # the module (the package exports the function)
S = importlib.import_module("reglab.solvers._irls_sweep")  # the passes over X


@pytest.fixture
def poisson_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 3))
    y = rng.poisson(np.exp(0.3 + X @ [0.4, -0.2, 0.1])).astype(float)
    return X, y


def test_gaussian_identity_is_weighted_ridge_closed_form():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 4))
    y = 1.0 + X @ [1, 2, -1, 0.5] + rng.standard_normal(200)
    w = rng.uniform(0.5, 2.0, 200)
    P = np.diag([0.0, 3.0, 3.0, 3.0, 3.0])  # ridge on the slopes, not the intercept
    res = irls(X, y, get_family("gaussian"), sample_weight=w, penalty=P)
    D = np.column_stack([np.ones(200), X])
    closed = np.linalg.solve(D.T @ (w[:, None] * D) + P, D.T @ (w * y))
    np.testing.assert_allclose(res.theta, closed, rtol=1e-12)
    np.testing.assert_allclose(res.gram, D.T @ (w[:, None] * D), rtol=1e-12)
    # a (p, p) penalty is padded with a free intercept; a scalar is a ridge on the slopes
    np.testing.assert_allclose(irls(X, y, get_family("gaussian"), sample_weight=w,
                                    penalty=3.0 * np.eye(4)).theta, closed, rtol=1e-12)
    np.testing.assert_allclose(irls(X, y, get_family("gaussian"), sample_weight=w,
                                    penalty=3.0).theta, closed, rtol=1e-12)


@pytest.mark.parametrize("name,link,alpha", [("poisson", "log", None), ("binomial", "logit", None),
                                             ("bernoulli", "logit", None),
                                             ("gaussian", "identity", None),
                                             ("negative_binomial", "log", 0.7)])
def test_fused_kernels_equal_the_family_methods(name, link, alpha):
    rng = np.random.default_rng(2)
    n = 500
    eta = rng.normal(0, 2, n)
    eta[:3] = [-40.0, 40.0, 0.0]  # saturated logits included
    y = {"poisson": rng.poisson(3.0, n), "binomial": rng.integers(0, 5, n) / 4,
         "bernoulli": rng.integers(0, 2, n), "gaussian": rng.standard_normal(n),
         "negative_binomial": rng.poisson(3.0, n)}[name].astype(float)
    sw = rng.uniform(0.5, 3.0, n)
    fam = get_family(name, link=link, **({} if alpha is None else {"alpha": alpha}))
    if name != "binomial" and name != "bernoulli":
        eta = np.clip(eta, -5, 5)
    kern = kernel_for(fam, y, sw)
    assert kern is not None
    mu, dev_part, g, w = kern.step(0, n, eta)
    g_ref, w_ref = fam.gradient_hessian(y, eta, sample_weight=sw)
    np.testing.assert_allclose(mu, fam.mean(eta), rtol=1e-13)
    np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(kern.const + dev_part,
                               fam.deviance(y, fam.mean(eta), sample_weight=sw), rtol=1e-10)
    if alpha is not None:  # rebinding the kernel to another alpha equals building it afresh
        fam2 = get_family(name, link=link, alpha=0.3)
        re, fresh = kernel_for(fam2, y, sw, previous=kern), kernel_for(fam2, y, sw)
        assert re is not fresh and re.alpha == 0.3
        np.testing.assert_allclose(re.const, fresh.const, rtol=1e-13)
        for u, v in zip(re.step(0, n, eta), fresh.step(0, n, eta), strict=True):
            np.testing.assert_allclose(u, v, rtol=1e-13)
        np.testing.assert_allclose(re.const + re.step(0, n, eta)[1],
                                   fam2.deviance(y, fam2.mean(eta), sample_weight=sw), rtol=1e-10)
    # refresh at a known mu (a new family parameter, same link) equals the full step
    _, dev_step, _, w_step = kern.step(0, n, eta)
    dev_ref, w_ref2 = kern.refresh(0, n, eta, fam.mean(eta))
    np.testing.assert_allclose(dev_ref, dev_step, rtol=1e-12)
    np.testing.assert_allclose(w_ref2, w_step, rtol=1e-13, atol=1e-300)


def test_family_update_and_fortran_order_reach_the_fixed_family_fit(poisson_data):
    X, y = poisson_data
    target = get_family("negative_binomial", alpha=0.4)
    ref = irls(X, y, target, tol=1e-12)
    calls = []

    def update(mu, fam):  # Poisson -> NB(0.2) -> NB(0.4), then settled
        calls.append(fam.alpha if fam.name == "negative_binomial" else 0.0)
        alpha = {1: 0.2, 2: 0.4}.get(len(calls))
        return None if alpha is None else get_family("negative_binomial", alpha=alpha)

    res = irls(np.asfortranarray(X), y, get_family("poisson"), tol=1e-12, family_update=update)
    assert calls[:3] == [0.0, 0.2, 0.4] and res.converged
    # both stop by R's rule on the deviance (1e-12): the same optimum, to ~1e-8 in theta
    np.testing.assert_allclose(res.theta, ref.theta, rtol=1e-6)
    np.testing.assert_allclose(res.deviance, ref.deviance, rtol=1e-12)
    np.testing.assert_allclose(res.gram, ref.gram, rtol=1e-6)
    D = np.column_stack([np.ones(len(y)), X])
    mu = np.exp(D @ res.theta)
    np.testing.assert_allclose(D.T @ ((mu - y) / (1 + 0.4 * mu)), 0, atol=1e-4)  # NB(0.4) score


def test_kernel_and_family_paths_and_threads_give_the_same_fit(poisson_data, monkeypatch):
    X, y = poisson_data
    fam = get_family("poisson")
    ref = irls(X, y, fam)
    monkeypatch.setattr(S, "kernel_for", lambda *a: None)  # generic Family path
    monkeypatch.setattr(S, "_BLOCK_BYTES", 8 * 3 * 300)  # 300-row blocks: many blocks
    monkeypatch.setattr(S, "_THREAD_MIN_SIZE", 0)  # threads even on this small X
    generic = irls(X, y, fam, n_threads=3)
    np.testing.assert_allclose(generic.theta, ref.theta, rtol=1e-12)
    np.testing.assert_allclose(generic.deviance, ref.deviance, rtol=1e-12)
    assert generic.n_iter == ref.n_iter
    # the subsample warm start reaches the same optimum in fewer passes
    monkeypatch.setattr(M, "_SUBSAMPLE_MIN_ROWS", 1000)
    warm = irls(X, y, fam)
    np.testing.assert_allclose(warm.theta, ref.theta, rtol=1e-7)
    assert warm.n_passes < ref.n_passes


def test_one_pass_per_iteration_and_r_style_convergence(poisson_data):
    X, y = poisson_data
    res = irls(X, y, get_family("poisson"))
    assert res.converged and res.n_passes == res.n_iter + 1  # + the sweep at R's mustart
    d = np.asarray(res.deviance_path)
    assert np.all(np.diff(d) <= 1e-9 * d[1:])  # Fisher scoring with halving never goes up
    assert abs(d[-1] - d[-2]) / (abs(d[-1]) + 0.1) < 1e-8
    # the information at the final theta and the gradient there vanishes
    state = irls_state(X, y, get_family("poisson"), res.theta)
    np.testing.assert_allclose(state.hessian, res.hessian, rtol=1e-12)
    D = np.column_stack([np.ones(len(y)), X])
    np.testing.assert_allclose(D.T @ (np.exp(D @ res.theta) - y), 0, atol=1e-6)


def test_step_halving_rescues_a_bad_start():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 2))
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.2 + X @ [0.5, -0.3])))).astype(float)
    fam = get_family("binomial")
    ref = irls(X, y, fam)
    # from far out, full Newton steps overshoot (the deviance would rise): they get halved
    res = irls(X, y, fam, start=np.array([0.0, 8.0, -8.0]))
    np.testing.assert_allclose(res.theta, ref.theta, rtol=1e-9)
    assert res.converged and res.n_passes > res.n_iter + 1  # the extra sweeps are halvings
    assert np.all(np.diff(res.deviance_path) <= 0)
    with pytest.raises(ValueError, match="no valid starting point"):
        irls(X, y, get_family("poisson", link="identity"), start=np.array([0.0, 5.0, -5.0]))


def test_diagnostics_name_what_failed(poisson_data):
    X, y = poisson_data
    fam = get_family("poisson")
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 2 iterations: relative "
                                                r"deviance change .* > tol"):
        res = irls(X, y, fam, max_iter=2)
    assert not res.converged
    Xbad = X.copy()
    Xbad[17, 2] = np.nan
    with pytest.raises(ValueError, match=r"row 17, column 'c'"):
        irls(Xbad, y, fam, column_names=["a", "b", "c"])
    Xdup = np.column_stack([X, X[:, 1]])
    with pytest.raises(RankDeficientError, match="'x3'") as err:
        irls(Xdup, y, fam)
    assert err.value.columns == [3]
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        irls(X, y, fam, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="penalty must be"):
        irls(X, y, fam, penalty=np.eye(2))


def test_zero_weight_rows_do_not_count(poisson_data):
    X, y = poisson_data
    w = np.ones(len(y))
    w[::3] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = irls(X, y, get_family("poisson"), sample_weight=w)
    b = irls(X[w > 0], y[w > 0], get_family("poisson"))
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-10)


@pytest.fixture
def big_poisson():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((60_000, 4)) * 0.3
    y = rng.poisson(np.exp(0.2 + X @ [0.5, -0.4, 0.3, 0.1])).astype(float)
    return X, y


def _count_sweeps(monkeypatch, n):
    kinds = []
    orig = M._Problem.sweep

    def sweep(self, theta, eta0=None, gram=True, what=None):
        if self.n == n:
            kinds.append(what or ("gram" if gram else "light"))
        return orig(self, theta, eta0, gram, what)

    monkeypatch.setattr(M._Problem, "sweep", sweep)
    return kinds


def test_subsample_start_takes_quasi_newton_steps_to_the_same_fit(big_poisson, monkeypatch):
    X, y = big_poisson
    fam = get_family("poisson")
    monkeypatch.setattr(M, "_SUBSAMPLE_MIN_ROWS", 10**9)
    ref = irls(X, y, fam, tol=1e-13, r_last_step=True)  # R's mustart, no subsample
    monkeypatch.setattr(M, "_SUBSAMPLE_MIN_ROWS", 50_000)
    kinds = _count_sweeps(monkeypatch, len(y))
    res = irls(X, y, fam, r_last_step=True)
    # 1/16 of the rows (3,750 >= _QN_MIN_ROWS): gradient-only passes, then one Gram pass and
    # R's last step checked by a light pass
    assert kinds[0] == "grad" and kinds.count("gram") == 1 and kinds[-1] == "light", kinds
    assert res.converged and res.n_passes == len(kinds) and res.n_iter == len(kinds) - 1
    # R's rule met at the default tol 1e-8: coefficients equal to the tight fit to ~1e-9
    np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.deviance, ref.deviance, rtol=1e-13)
    # the information is a full-data Gram at the penultimate iterate (R's convention), where
    # R's rule holds: that point's deviance is within ~tol * deviance of the optimum, which
    # leaves O(sqrt(tol)) in the information (as R's own summary.glm has)
    np.testing.assert_allclose(res.hessian, ref.hessian, rtol=1e-4)
    d = np.asarray(res.deviance_path)
    assert np.all(np.diff(d) <= 1e-9 * d[1:])


def test_quasi_newton_with_a_wrong_hessian_still_reaches_the_fit(big_poisson, monkeypatch):
    X, y = big_poisson
    fam = get_family("poisson")
    ref = irls(X, y, fam, tol=1e-13)
    start = ref.theta + 0.05
    for H0 in (ref.hessian * 0.3, ref.hessian * 5.0, np.eye(5)):  # too long / short / unrelated
        res = irls(X, y, fam, start=start, start_hessian=H0)
        assert res.converged
        np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=1e-8)
    # a singular H0 is not used: the ordinary IRLS from the start
    res = irls(X, y, fam, start=start, start_hessian=np.zeros((5, 5)))
    np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=1e-8)


def test_quasi_newton_is_skipped_for_a_small_subsample(monkeypatch):
    assert M.subsample_information(np.eye(3), 10_000, M._QN_MIN_ROWS - 1) is None
    assert M.subsample_information(np.eye(30), 10**6, 2999) is None  # < 100 q rows
    np.testing.assert_array_equal(M.subsample_information(np.eye(3), 8000, 2000), 4 * np.eye(3))
    rows = M.subsample_rows(10_000, 16)
    assert np.all(np.diff(rows) > 0) and 550 < len(rows) <= 625 and rows[-1] < 10_000


def test_family_update_can_settle_on_a_last_family(poisson_data):
    X, y = poisson_data
    target = get_family("negative_binomial", alpha=0.4)
    ref = irls(X, y, target, tol=1e-12)
    calls = []

    def update(mu, fam):  # one switch, declared final: no further calls
        calls.append(fam.name)
        return target, True

    res = irls(X, y, get_family("poisson"), tol=1e-12, family_update=update)
    assert calls == ["poisson"] and res.converged
    # both stop by R's rule (1e-12) along different paths: the same optimum to ~1e-8
    np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=5e-8)
    np.testing.assert_allclose(res.deviance, ref.deviance, rtol=1e-12)


@pytest.mark.parametrize("name, link, kw", [
    ("binomial", "probit", {}), ("poisson", "sqrt", {}), ("gamma", "log", {}),
    ("inverse_gaussian", "log", {}), ("tweedie", "log", {"power": 1.5}),
])
def test_subsample_and_quasi_newton_start_for_every_family(name, link, kw, monkeypatch):
    # non-canonical links and generic (non-kernel) families: the 1/16 start and its
    # quasi-Newton steps reach the tight fit as closely as R's mustart path does (R's rule at
    # tol 1e-8 leaves up to ~7e-7 in theta here, either way), with weights and an offset
    rng = np.random.default_rng(4)
    n = 60_000
    X = rng.standard_normal((n, 3)) * 0.3
    eta = 0.5 + X @ [0.4, -0.3, 0.2]
    mu = np.exp(eta)
    y = {"binomial": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
         "poisson": rng.poisson(mu).astype(float), "gamma": rng.gamma(2.0, mu / 2.0),
         "inverse_gaussian": rng.wald(mu, 3.0),
         "tweedie": rng.gamma(2.0, mu / 2.0) * (rng.random(n) < 0.8)}[name]
    fam = get_family(name, link=link, **kw)
    args = {"sample_weight": rng.uniform(0.5, 2.0, n), "offset": rng.normal(0, 0.1, n)}
    monkeypatch.setattr(M, "_SUBSAMPLE_MIN_ROWS", 10**9)
    ref = irls(X, y, fam, tol=1e-13, **args)
    monkeypatch.setattr(M, "_SUBSAMPLE_MIN_ROWS", 50_000)
    kinds = _count_sweeps(monkeypatch, n)
    res = irls(X, y, fam, r_last_step=True, **args)
    assert res.converged and "grad" in kinds and res.n_passes < ref.n_passes
    np.testing.assert_allclose(res.theta, ref.theta, rtol=0, atol=1e-6)


def test_gaussian_identity_skips_the_subsample_start(monkeypatch):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((60_000, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.standard_normal(60_000)
    kinds = _count_sweeps(monkeypatch, 60_000)
    res = irls(X, y, get_family("gaussian"), r_last_step=True)
    assert "grad" not in kinds and res.n_passes <= 3  # one exact Newton step from R's mustart
    D = np.column_stack([np.ones(60_000), X])
    np.testing.assert_allclose(res.theta, np.linalg.lstsq(D, y, rcond=None)[0], rtol=1e-10)


@pytest.mark.parametrize("seed", [1, 3])
def test_huge_counts_converge_at_the_deviance_resolution(seed):
    """Counts ~5e8: the deviance sums terms ~1e10 to a total ~1e2, so at the optimum a Newton
    step's deviance "rises" by rounding and every halving was refused ("step halving failed",
    NOT converged). When the full step predicts a decrease d' H d below tol, the point is the
    optimum: converged, no warning, the coefficients statsmodels' (1e-9; NB at alpha = 0)."""
    import warnings

    import pandas as pd
    import statsmodels.api as sm

    from reglab.models.glm import GLM, NegativeBinomial

    rng = np.random.default_rng(seed)
    x = rng.normal(size=60)
    y = rng.poisson(np.exp(20 + 0.8 * x)).astype(float)
    ref = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit(tol=1e-14)
    for model in (NegativeBinomial(), GLM()):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(pd.DataFrame({"x": x}), y)
        assert model.converged_
        np.testing.assert_allclose(model.params_.to_numpy(), ref.params, rtol=1e-9)
