"""Batch/stochastic/mini-batch gradient descent and the geometric tricks reach the closed form (the
tricks and SGD with a decaying rate or averaging; with a constant rate they hover around it), and
a run that diverges says so."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from reglab.nn import DivergenceError
from reglab.solvers.gradient_descent import (
    ConvergenceWarning,
    geometric_regression,
    gradient_descent,
    inverse_time_decay,
    minibatch_gradient_descent,
    stochastic_gradient_descent,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 100
    X = rng.normal(size=(n, 2))
    y = 1 + X @ np.array([2.0, -1.0]) + rng.normal(scale=0.5, size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    D = np.column_stack([np.ones(n), X])
    ols = np.linalg.lstsq(D, y, rcond=None)[0]
    sw = np.sqrt(w)
    wls = np.linalg.lstsq(D * sw[:, None], y * sw, rcond=None)[0]
    return X, y, w, ols, wls


def lad(D, y):
    """Least absolute deviations by linear programming: min sum(u + v), D b + u - v = y."""
    n, p = D.shape
    c = np.r_[np.zeros(p), np.ones(2 * n)]
    res = linprog(c, A_eq=np.hstack([D, np.eye(n), -np.eye(n)]), b_eq=y,
                  bounds=[(None, None)] * p + [(0, None)] * (2 * n))
    assert res.success
    return res.x[:p]


def theta(res):
    return np.r_[res.intercept, res.coef]


def test_batch_gd_reaches_ols_and_wls(data):
    X, y, w, ols, wls = data
    r = gradient_descent(X, y, learning_rate=0.5, max_iter=5000, tol=1e-13)
    assert r.converged
    np.testing.assert_allclose(theta(r), ols, rtol=0, atol=1e-10)
    rw = gradient_descent(X, y, sample_weight=w, learning_rate=0.5, max_iter=5000, tol=1e-13)
    np.testing.assert_allclose(theta(rw), wls, rtol=0, atol=1e-10)
    r0 = gradient_descent(X, y, fit_intercept=False, learning_rate=0.5, tol=1e-13)
    np.testing.assert_allclose(r0.coef, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)
    assert r0.intercept == 0.0


def test_batch_gd_trajectory_and_monotone_loss(data):
    X, y, _, ols, _ = data
    frame = pd.DataFrame(X, columns=["a", "b"])
    with pytest.warns(ConvergenceWarning):
        r = gradient_descent(frame, y, learning_rate=0.3, max_iter=40, init=[5.0, -3.0, 3.0])
    tr = r.trajectory
    assert tr.coef.shape == (41, 2) and tr.step[0] == 0 and tr.step[-1] == 40
    np.testing.assert_array_equal(tr.coef[0], [-3.0, 3.0])
    assert tr.intercept[0] == 5.0
    # below 1 / lambda_max the half-MSE decreases at every step
    assert np.all(np.diff(tr.loss) < 0)
    df = tr.to_frame()
    assert list(df.columns) == ["step", "epoch", "Intercept", "a", "b", "loss"]
    resid = y - (r.intercept + X @ r.coef)
    assert tr.loss[-1] == pytest.approx(0.5 * np.mean(resid**2), rel=1e-12)


def test_one_vectorised_step_matches_the_lecture_formula(data):
    # theta <- theta - alpha * (1/m) X^T E with E = prediction - y (batch-first transpose of
    # the lecture's dW = 1/m X E^T)
    X, y, _, _, _ = data
    with pytest.warns(ConvergenceWarning):
        r = gradient_descent(X, y, learning_rate=0.1, max_iter=1, init=[0.2, 0.3, -0.1])
    D = np.column_stack([np.ones(len(y)), X])
    t0 = np.array([0.2, 0.3, -0.1])
    expected = t0 - 0.1 * D.T @ (D @ t0 - y) / len(y)
    np.testing.assert_allclose(theta(r), expected, rtol=1e-14)


def test_gd_not_converging_warns(data):
    X, y, _, _, _ = data
    with pytest.warns(ConvergenceWarning) as rec:
        r = gradient_descent(X, y, max_iter=3)
    assert not r.converged and r.n_iter == 3
    assert str(rec[0].message) == ("gradient descent did not converge in 3 iterations (last step "
                                   "0.149 > tol=1e-10); raise max_iter or the learning rate, or "
                                   "standardise X")


def test_gd_diverging_says_so_and_gives_the_stable_bound(data):
    """lr = 3 is above 2 / lambda_max(D^T D / n) (1.92 here, computed independently below): the
    loss grows, and the warning says to lower the learning rate, not to raise max_iter."""
    X, y, _, _, _ = data
    D = np.column_stack([np.ones(len(y)), X])
    bound = 2 / np.linalg.eigvalsh(D.T @ D / len(y)).max()
    with pytest.warns(ConvergenceWarning) as rec:
        r = gradient_descent(X, y, learning_rate=3.0, max_iter=20)
    assert not r.converged
    lo, hi = r.trajectory.loss[0], r.trajectory.loss[-1]
    assert str(rec[0].message) == (f"gradient descent diverged: the loss grew from {lo:.4g} to "
                                   f"{hi:.4g} in 20 iterations; lower the learning rate (for "
                                   f"the squared error it must be below 2 / lambda_max = "
                                   f"{bound:.3g})")
    assert f"{bound:.3g}" == "1.92"


@pytest.mark.parametrize("call, message", [
    (lambda X, y: geometric_regression(X, y, learning_rate=3.0, n_steps=2000, random_state=0),
     "square trick diverged at step 353 (epoch 3.53): the loss became inf at learning rate 3; "
     "each step overshoots further. Try a smaller learning rate (e.g. 0.3)."),
    (lambda X, y: stochastic_gradient_descent(X, y, learning_rate=3.0, n_epochs=5,
                                              random_state=0),
     "sgd diverged at step 358 (epoch 3.58): the parameters grew to 9.89e+153 at learning rate "
     "3; each step overshoots further. Try a smaller learning rate (e.g. 0.3)."),
    (lambda X, y: gradient_descent(X, y, learning_rate=3.0, max_iter=2000),
     "gradient descent diverged at step 471: the loss became inf at learning rate 3; each step "
     "overshoots further. Try a smaller learning rate (e.g. 0.3)."),
])
def test_divergence_raises_naming_step_and_learning_rate(data, call, message):
    """A learning rate above the stable bound (1.92 here) must not return NaN/inf coefficients
    with converged=True: the same error as reglab.nn (an ArithmeticError), no RuntimeWarning."""
    X, y, _, _, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings are not what the user sees
        with pytest.raises(DivergenceError) as err:
            call(X, y)
    assert str(err.value) == message and isinstance(err.value, ArithmeticError)


def test_sgd_finite_blow_up_warns_and_hovering_does_not():
    """A learning rate just too large grows the loss a millionfold without reaching inf: that run
    must not come back as converged=True in silence. Hovering around the minimiser, even from a
    start at the least-squares line, stays below the 100x threshold (measured at most 5.5x)."""
    from reglab.data import load_dataset

    d = load_dataset("builtin:line")
    X, y = d[["x"]].to_numpy(), d["y"].to_numpy()
    with pytest.warns(ConvergenceWarning) as rec:
        res = stochastic_gradient_descent(X, y, learning_rate=0.05, n_epochs=5, random_state=0)
    assert not res.converged and np.isfinite(res.loss) and res.loss > 1e6
    low = float(np.min(res.trajectory.loss))
    assert str(rec[0].message) == (
        f"sgd blew up: the loss grew from {low:.4g} to {res.trajectory.loss[-1]:.4g} in 250 "
        "steps at learning rate 0.05; each step overshoots further. Try a smaller learning rate "
        "(e.g. 0.005).")
    ols = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X]), y, rcond=None)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(10):
            res = stochastic_gradient_descent(X, y, learning_rate=0.02, n_epochs=50,
                                              random_state=seed, init=ols)
            assert res.converged


def test_sgd_decaying_rate_reaches_ols(data):
    X, y, _, ols, _ = data
    r = stochastic_gradient_descent(X, y, learning_rate=inverse_time_decay(0.05, 100),
                                    n_epochs=40, random_state=0)
    # Robbins-Monro schedule: within 2e-3 of the closed form after 4000 updates (seeded)
    np.testing.assert_allclose(theta(r), ols, rtol=0, atol=2e-3)
    assert r.n_iter == 4000 and r.trajectory.coef.shape == (41, 2)
    again = stochastic_gradient_descent(X, y, learning_rate=inverse_time_decay(0.05, 100),
                                        n_epochs=40, random_state=0)
    np.testing.assert_array_equal(theta(r), theta(again))


def test_sgd_averaging_beats_constant_rate(data):
    X, y, _, ols, _ = data
    plain = stochastic_gradient_descent(X, y, learning_rate=0.02, n_epochs=40, random_state=3)
    avg = stochastic_gradient_descent(X, y, learning_rate=0.02, n_epochs=40, random_state=3,
                                      average=True)
    err_plain = np.abs(theta(plain) - ols).max()
    err_avg = np.abs(theta(avg) - ols).max()
    assert err_avg < 1e-2 and err_avg < err_plain / 2


def test_minibatch_reaches_wls(data):
    X, y, w, _, wls = data
    r = minibatch_gradient_descent(X, y, batch_size=10, sample_weight=w,
                                   learning_rate=inverse_time_decay(0.2, 100), n_epochs=100,
                                   random_state=0, record="step", record_every=50)
    np.testing.assert_allclose(theta(r), wls, rtol=0, atol=5e-3)
    assert r.method == "minibatch(10)" and r.trajectory.step[-1] == 1000
    np.testing.assert_allclose(r.trajectory.epoch[-1], 100.0)


def test_square_trick_one_step_by_hand():
    # line y = 0.5 x + 2, point (5, 15), lr 0.01: prediction 4.5, residual 10.5
    r = geometric_regression([[5.0]], [15.0], trick="square", learning_rate=0.01, n_steps=1,
                             init=[2.0, 0.5], random_state=0)
    assert r.coef[0] == pytest.approx(0.5 + 0.01 * 5 * 10.5, rel=1e-14)
    assert r.intercept == pytest.approx(2.0 + 0.01 * 10.5, rel=1e-14)
    a = geometric_regression([[5.0]], [15.0], trick="absolute", learning_rate=0.01, n_steps=1,
                             init=[2.0, 0.5], random_state=0)
    assert a.coef[0] == pytest.approx(0.55) and a.intercept == pytest.approx(2.01)
    below = geometric_regression([[5.0]], [0.0], trick="absolute", learning_rate=0.01,
                                 n_steps=1, init=[2.0, 0.5], random_state=0)
    assert below.coef[0] == pytest.approx(0.45) and below.intercept == pytest.approx(1.99)


def test_square_trick_reaches_ols(data):
    X, y, _, ols, _ = data
    r = geometric_regression(X, y, learning_rate=inverse_time_decay(0.1, 20), n_steps=4000,
                             random_state=1, record_every=100)
    np.testing.assert_allclose(theta(r), ols, rtol=0, atol=2e-2)
    tr = r.trajectory
    assert tr.step[0] == 0 and tr.step[-1] == 4000 and len(tr.step) == 41
    assert tr.loss[-1] < tr.loss[0]


def test_absolute_error_reaches_lad(data):
    X, y, _, _, _ = data
    D = np.column_stack([np.ones(len(y)), X])
    ref = lad(D, y)

    def mae(t):
        return np.mean(np.abs(y - D @ t))

    r = geometric_regression(X, y, trick="absolute", learning_rate=inverse_time_decay(0.1, 50),
                             n_steps=5000, random_state=0, record_every=500)
    # the LAD objective is flat near its minimiser: the objective is within 0.5 % of the LP
    # optimum, the parameters within 0.05 (seeded run: 0.0013 and 0.037)
    assert mae(theta(r)) / mae(ref) - 1 < 5e-3
    np.testing.assert_allclose(theta(r), ref, rtol=0, atol=5e-2)
    with pytest.warns(ConvergenceWarning):
        g = gradient_descent(X, y, loss="absolute_error",
                             learning_rate=inverse_time_decay(0.5, 100), max_iter=2000)
    np.testing.assert_allclose(theta(g), ref, rtol=0, atol=2e-3)
    assert g.loss == pytest.approx(mae(theta(g)), rel=1e-12)
    assert g.loss / mae(ref) - 1 < 1e-4


class _HalfSquare:
    """A loss with the core contract: loss = weighted mean of 0.5 r^2, gradient wrt eta."""

    name = "half_square"

    def loss(self, y, eta, sample_weight=None):
        w = np.ones_like(y) if sample_weight is None else sample_weight
        return np.sum(w * 0.5 * (y - eta) ** 2) / np.sum(w)

    def gradient_hessian(self, y, eta, sample_weight=None):
        w = np.ones_like(y) if sample_weight is None else sample_weight
        return w * (eta - y), w


def test_core_contract_objects_are_accepted(data):
    X, y, _, ols, _ = data
    r = gradient_descent(X, y, loss=_HalfSquare(), learning_rate=0.5, tol=1e-13)
    np.testing.assert_allclose(theta(r), ols, atol=1e-10)
    assert r.loss_name == "half_square"


@pytest.mark.parametrize("call, match", [
    (lambda X, y: gradient_descent(X, y, loss="hinge"), "unknown loss"),
    (lambda X, y: gradient_descent(X, y, learning_rate=-1), "learning_rate"),
    (lambda X, y: gradient_descent(X, y, init=[1.0]), "init must have"),
    (lambda X, y: gradient_descent(X, y[:5]), "rows but y has 5"),
    (lambda X, y: geometric_regression(X, y, trick="cube"), "trick"),
    (lambda X, y: stochastic_gradient_descent(X, y, batch_size=0), "batch_size"),
    (lambda X, y: stochastic_gradient_descent(X, y, record="batch"), "record"),
    (lambda X, y: gradient_descent(X, y, sample_weight=-np.ones(len(y))), "sample_weight"),
    (lambda X, y: gradient_descent(X, y, record_every=0), "record_every"),
    (lambda X, y: geometric_regression(X, y, n_steps=2.5), "n_steps"),
    (lambda X, y: stochastic_gradient_descent(X, y, n_epochs=0), "n_epochs"),
])
def test_bad_arguments(data, call, match):
    X, y, _, _, _ = data
    with pytest.raises(ValueError, match=match):
        call(X, y)


def test_non_finite_input_names_column_and_row(data):
    X, y, _, _, _ = data
    frame = pd.DataFrame(X, columns=["size", "age"])
    frame.iloc[6, 1] = np.nan
    with pytest.raises(ValueError, match="column 'age', row 6"):
        gradient_descent(frame, y)
    y2 = y.copy()
    y2[3] = np.inf
    with pytest.raises(ValueError, match="y has a non-finite value .* row 3"):
        stochastic_gradient_descent(X, y2)


def test_glm_gradient_descent_says_when_the_learning_rate_is_too_large():
    """gradient_descent_glm (the GLMs' solver='gd'): a loss that grew gets 'lower the learning
    rate', not 'raise max_iter or learning_rate'; a non-finite loss is a DivergenceError naming
    the step; a slow run still gets the max_iter advice."""
    import warnings

    from reglab.core import get_family
    from reglab.nn import DivergenceError
    from reglab.solvers.lbfgs import GLMObjective, gradient_descent_glm

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    obj = GLMObjective(X, X @ [1.0, 2.0] + rng.normal(size=100), get_family("gaussian"))
    with pytest.warns(ConvergenceWarning, match=r"the loss grew from 3\.3\d+ to \d+.*: lower the "
                                                 r"learning rate$"):
        gradient_descent_glm(obj, np.zeros(3), learning_rate=3.0, max_iter=5)
    with pytest.raises(DivergenceError, match=r"^gradient descent diverged at step \d+: the loss "
                                              r"became inf; lower the learning rate \(now 3\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and no NumPy overflow chatter on the way
            gradient_descent_glm(obj, np.zeros(3), learning_rate=3.0, max_iter=5000)
    with pytest.warns(ConvergenceWarning, match="raise max_iter or learning_rate"):
        gradient_descent_glm(obj, np.zeros(3), learning_rate=0.01, max_iter=5)
