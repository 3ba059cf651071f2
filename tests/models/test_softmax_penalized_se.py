"""Penalized SoftmaxRegression (alpha > 0): the penalized ("Bayesian") covariance (X'WX + P)^-1
on the sum-to-zero subspace and its effective degrees of freedom, checked against
LogisticRegression (K = 2), a finite-difference Hessian of an objective written here (K = 3),
the unpenalized fit (alpha -> 0), relabelled classes, and a model-file round trip."""

import numpy as np
import pytest
from scipy.special import logsumexp
from test_logistic import _three_classes  # the unpenalized softmax tests' data (same dir)

from reglab.io import load_model, save_model
from reglab.models.logistic import LogisticRegression, SoftmaxRegression


def _sum_to_zero_basis(q, k):
    """Orthonormal basis (q k, q (k - 1)) of {Theta (q, k) row-major: Theta 1 = 0}, from the SVD
    of the centring projector (not the code's null_space of 1')."""
    return np.linalg.svd(np.kron(np.eye(q), np.eye(k) - 1.0 / k))[0][:, :q * (k - 1)]


def _penalized_gradient(D, Y, w, pen):
    """Gradient of sum_i w_i (logsumexp(eta_i) - eta_i . y_i) + 1/2 tr(Theta' pen Theta)."""
    def grad(theta):
        T = theta.reshape(D.shape[1], Y.shape[1])
        E = D @ T
        prob = np.exp(E - logsumexp(E, axis=1, keepdims=True))
        return (D.T @ (w[:, None] * (prob - Y)) + pen @ T).ravel()
    return grad


def test_two_classes_covariance_and_edf_are_logistic_with_half_the_alpha():
    """K = 2: the likelihood depends on d = b_1 - b_0 only, and alpha/2 (|b_0|^2 + |b_1|^2) =
    alpha/4 (|s|^2 + |d|^2) with s = b_0 + b_1 (0 at the optimum): Var(d) is the covariance of
    LogisticRegression(alpha/2) (both penalties alpha * n per row on the slopes), and the edf are
    equal. Measured: 6e-9 relative (the logistic covariance is R's last-IRLS-step information),
    softmax vs the hand-built (X'WX + P)^-1 at the fitted p: 1e-15; edf 1e-10, AIC 2e-12."""
    rng = np.random.default_rng(8)
    n, alpha = 300, 0.02
    X = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + X @ [1.0, -1.5])))).astype(int)
    s = SoftmaxRegression(alpha=alpha, tol=1e-14).fit(X, y)
    lr = LogisticRegression(alpha=alpha / 2, tol=1e-14).fit(X, y)
    A = np.kron(np.eye(3), [[-1.0, 1.0]])  # d_j = theta[j, 1] - theta[j, 0]
    var_d = A @ s.cov_params_.to_numpy() @ A.T
    np.testing.assert_allclose(var_d, lr.cov_params_.to_numpy(), rtol=1e-8, atol=0)
    assert s.edf_ == pytest.approx(lr.edf_, rel=1e-8) and 2 < s.edf_ < 3
    assert s.aic_ == pytest.approx(lr.aic_, rel=1e-10)
    # independent closed form: (D'WD + P)^-1 with W = p (1 - p), P = diag(0, alpha/2 n, ...)
    D = np.column_stack([np.ones(n), X])
    p = s.predict_proba(X)[:, 1]
    P = np.diag([0.0, 1.0, 1.0]) * (alpha / 2) * n
    hand = np.linalg.inv(D.T @ (D * (p * (1 - p))[:, None]) + P)
    np.testing.assert_allclose(var_d, hand, rtol=1e-12, atol=0)
    np.testing.assert_allclose(lr.cov_params_.to_numpy(), hand, rtol=1e-8, atol=0)
    edf = np.trace(np.linalg.solve(D.T @ (D * (p * (1 - p))[:, None]) + P,
                                   D.T @ (D * (p * (1 - p))[:, None])))
    assert s.edf_ == pytest.approx(edf, rel=1e-12)
    # the K = 2 sum-to-zero pair: each class's SE is half of d's
    np.testing.assert_allclose(s.std_errors_.to_numpy() * 2, np.sqrt(np.diag(hand))[:, None]
                               * [1, 1], rtol=1e-10)


@pytest.mark.parametrize("weighted, intercept", [(False, True), (True, True), (False, False)])
def test_three_classes_covariance_is_the_inverse_fd_hessian_on_the_identified_subspace(
        weighted, intercept):
    """K = 3: cov_params_ = Z (Z' H Z)^-1 Z' with H the central-difference Hessian (h = 1e-5) of
    the penalized objective written above, Z a basis of the sum-to-zero subspace; edf =
    trace((Z'HZ)^-1 Z'(H - P)Z). Measured: 3e-8 relative in the worst entry (weighted; 9e-9
    unweighted, 6e-10 without intercept), edf 4e-12; the gradient there 4e-14."""
    X, yk = _three_classes()
    n, k, alpha = len(yk), 3, 0.01
    w = np.random.default_rng(1).uniform(0.5, 2.0, n) if weighted else np.ones(n)
    m = SoftmaxRegression(alpha=alpha, tol=1e-14, fit_intercept=intercept)
    m.fit(X, yk, sample_weight=w if weighted else None)
    D = np.column_stack([np.ones(n), X]) if intercept else X
    q = D.shape[1]
    pen = np.diag([0.0] * intercept + [alpha * w.sum()] * 3)
    grad = _penalized_gradient(D, np.eye(k)[yk], w, pen)
    theta = m.params_.to_numpy().ravel()
    assert np.abs(grad(theta)).max() < 1e-10  # the fit is the optimum of this objective
    h, H = 1e-5, np.empty((q * k, q * k))
    for i in range(q * k):
        e = np.zeros(q * k)
        e[i] = h
        H[:, i] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    H = (H + H.T) / 2
    Z = _sum_to_zero_basis(q, k)
    V = Z @ np.linalg.inv(Z.T @ H @ Z) @ Z.T
    np.testing.assert_allclose(m.cov_params_.to_numpy(), V, rtol=1e-6, atol=0)
    G = Z.T @ (H - np.kron(pen, np.eye(k))) @ Z
    assert m.edf_ == pytest.approx(np.trace(np.linalg.solve(Z.T @ H @ Z, G)), rel=1e-8)
    assert m.aic_ == pytest.approx(m.deviance_ + 2 * m.edf_, rel=1e-12)
    assert np.isfinite(m.pvalues_.to_numpy()).all()


def test_standard_errors_do_not_depend_on_the_label_order():
    """Renaming class 'a' to 'z' (first to last) permutes the covariance and nothing else
    (measured 4e-17 in SEs)."""
    X, yk = _three_classes(seed=3)
    a = SoftmaxRegression(alpha=0.004, tol=1e-14).fit(X, np.array(["a", "b", "c"])[yk])
    z = SoftmaxRegression(alpha=0.004, tol=1e-14).fit(X, np.array(["z", "b", "c"])[yk])
    order = [2, 0, 1]  # z's columns (b, c, z) in a's order (a=z, b, c)
    np.testing.assert_allclose(a.std_errors_.to_numpy(), z.std_errors_.to_numpy()[:, order],
                               rtol=1e-8, atol=0)
    idx = (np.arange(4)[:, None] * 3 + np.array(order)).ravel()
    np.testing.assert_allclose(a.cov_params_.to_numpy(), z.cov_params_.to_numpy()[np.ix_(idx, idx)],
                               rtol=0, atol=1e-8 * np.abs(a.cov_params_.to_numpy()).max())
    assert a.edf_ == pytest.approx(z.edf_, rel=1e-10)


def test_vanishing_penalty_gives_the_unpenalized_standard_errors():
    """alpha = 1e-10: the contrasts b_k - b_0 have the unpenalized (baseline) fit's covariance,
    and the per-class SEs are that fit's mapped to sum-to-zero coding (M V M'); edf -> q (K - 1)
    = 8. Measured 9e-9 relative (the penalty's own size, alpha n / information)."""
    X, yk = _three_classes()
    q, k = 4, 3
    base = SoftmaxRegression(tol=1e-14).fit(X, yk)
    tiny = SoftmaxRegression(alpha=1e-10, tol=1e-14).fit(X, yk)
    V0, V = base.cov_params_.to_numpy(), tiny.cov_params_.to_numpy()
    contrast = np.kron(np.eye(q), [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]])
    np.testing.assert_allclose(contrast @ V @ contrast.T, V0, rtol=1e-5, atol=0)
    np.testing.assert_allclose(np.sqrt(np.diag(contrast @ V @ contrast.T)),
                               base.std_errors_.to_numpy().ravel(), rtol=1e-5)
    M = np.kron(np.eye(q), (np.eye(k) - 1.0 / k)[:, 1:])  # baseline beta -> sum-to-zero coding
    np.testing.assert_allclose(V, M @ V0 @ M.T, rtol=1e-5, atol=0)
    assert tiny.edf_ == pytest.approx(8.0, rel=1e-6) and base.edf_ == 8.0
    assert tiny.aic_ == pytest.approx(base.aic_, rel=1e-8)


def test_first_order_solvers_report_the_same_standard_errors():
    """The covariance is evaluated at the optimum whichever solver found it (lbfgs measured
    2e-9 relative to Newton's, edf 1e-10)."""
    X, yk = _three_classes()
    a = SoftmaxRegression(alpha=0.01, tol=1e-14).fit(X, yk)
    b = SoftmaxRegression(alpha=0.01, solver="lbfgs").fit(X, yk)
    np.testing.assert_allclose(b.std_errors_.to_numpy(), a.std_errors_.to_numpy(), rtol=1e-6)
    assert b.edf_ == pytest.approx(a.edf_, rel=1e-6)


def test_summary_and_model_file_keep_the_standard_errors_and_edf(tmp_path):
    X, yk = _three_classes()
    m = SoftmaxRegression(alpha=0.01, tol=1e-14).fit(X, yk)
    text = m.summary()
    assert ("Each term's coefficients sum to 0 over the classes; SEs: (X'WX + P)^-1 on that "
            "subspace\n(L2 penalty alpha = 0.01: 7.194 effective degrees of freedom for the 8 "
            "free coefficients, which AIC and BIC count)") in text
    assert f"AIC: {m.aic_:.4f}" in text and "no standard errors" not in text
    back = load_model(save_model(m, tmp_path / "soft.reglab", X_check=X)).model
    np.testing.assert_array_equal(back.std_errors_.to_numpy(), m.std_errors_.to_numpy())
    np.testing.assert_array_equal(back.cov_params_.to_numpy(), m.cov_params_.to_numpy())
    assert (back.aic_, back.bic_, back.edf_) == (m.aic_, m.bic_, m.edf_)
    assert back.summary() == text
    # a model file written before penalized fits had SEs: NaN SEs and no edf_
    del back.edf_
    assert ("Penalized fit (alpha = 0.01): this model file holds no standard errors (written "
            "before reglab computed them; refit for them)") in back.summary()
    assert "effective degrees of freedom" not in back.summary()
