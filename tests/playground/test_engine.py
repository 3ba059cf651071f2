"""The playground's network (reglab.nn driven frame by frame) against independent references.

GLM mode is checked against statsmodels / scikit-learn / closed-form ridge: a network with no
hidden layer trained to convergence must land on the maximum-likelihood (or penalised) fit.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logsumexp, softmax

from reglab.playground.datasets import make_dataset, make_features
from reglab.playground.engine import NetworkModel
from reglab.playground.protocol import Config

FEATS = ("x1", "x2")


def _fit(problem, k, X, y, epochs, **cfg):
    config = Config(features=FEATS, **{"layers": (), "activations": (), **cfg})
    model = NetworkModel(config, n_inputs=2, problem=problem, n_classes=k, seed=0)
    Z = make_features(X, FEATS)
    for _ in range(epochs):
        model.train_epoch(Z, y)
    return model, Z


def _logistic_mle(A, y, iters=25):
    """Newton-Raphson for logistic regression: beta += (A'WA)^-1 A'(y - p), W = p(1-p)."""
    beta = np.zeros(A.shape[1])
    for _ in range(iters):
        p = expit(A @ beta)
        beta += np.linalg.solve(A.T @ (A * (p * (1 - p))[:, None]), A.T @ (y - p))
    return beta


def test_glm_mode_binary_is_logistic_regression_mle():
    X, y = make_dataset("gauss", 300, 0.5, 5)  # overlapping clouds: the MLE is finite
    model, Z = _fit("binary", 2, X, y, 300, batch_size=300, optimizer="adam", learning_rate=1.0)
    A = np.column_stack([np.ones(len(y)), Z.astype(np.float64)])
    beta = _logistic_mle(A, y)
    (W,), (b,) = model.weights()
    # float32 training: agreement to ~1e-6 was measured; 2e-5 leaves room for the platform.
    np.testing.assert_allclose(W[:, 0], beta[1:], rtol=2e-5)
    np.testing.assert_allclose(b[0], beta[0], atol=2e-5)
    p = expit(A @ beta)
    mu = model.predict(Z)
    np.testing.assert_allclose(mu, p, atol=1e-5)
    # The reported loss is the mean log loss, -loglik / n.
    loglik = np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert model.loss(y, mu) == pytest.approx(-loglik / len(y), rel=1e-6)


def _softmax_mle(A, y, k):
    """Multinomial logit by L-BFGS on the mean cross-entropy (gradient A'(P - Y) / n)."""
    Y = np.eye(k)[y]

    def f(theta):
        eta = A @ theta.reshape(A.shape[1], k)
        P = softmax(eta, axis=1)
        loss = np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1))
        return loss, (A.T @ (P - Y) / len(y)).ravel()

    res = minimize(f, np.zeros(A.shape[1] * k), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 5000})
    return softmax(A @ res.x.reshape(A.shape[1], k), axis=1)


def test_glm_mode_multiclass_is_softmax_regression():
    X, y = make_dataset("blobs4", 400, 0.5, 1)
    model, Z = _fit("multiclass", 4, X, y, 300, batch_size=400, optimizer="adam",
                    learning_rate=0.3)
    A = np.column_stack([np.ones(len(y)), Z.astype(np.float64)])
    # Softmax coefficients are identified only up to a common shift: compare probabilities.
    np.testing.assert_allclose(model.predict(Z), _softmax_mle(A, y, 4), atol=1e-5)


def test_glm_mode_regression_with_l2_is_ridge():
    X, y = make_dataset("plane", 200, 0.3, 2)
    alpha = 0.05
    # Full-batch gradient descent; the Hessian's eigenvalues lie in about [0.4, 1], so a step
    # of 1 contracts the error by >= 0.6 per epoch: 200 epochs reach float32 precision.
    model, Z = _fit("regression", 0, X, y, 200, batch_size=200, optimizer="sgd",
                    learning_rate=1.0, regularization="l2", reg_rate=alpha)
    # Minimiser of mean((y - Zw - b)^2)/2 + alpha/2 |w|^2 (intercept unpenalised):
    # centre, then (Zc'Zc/n + alpha I) w = Zc'yc/n.
    Zd = Z.astype(np.float64)
    Zc, yc = Zd - Zd.mean(0), y - y.mean()
    w = np.linalg.solve(Zc.T @ Zc / len(y) + alpha * np.eye(2), Zc.T @ yc / len(y))
    b = y.mean() - Zd.mean(0) @ w
    (W,), (bb,) = model.weights()
    np.testing.assert_allclose(W[:, 0], w, rtol=1e-4)
    np.testing.assert_allclose(bb[0], b, atol=1e-5)


def test_l1_drives_a_useless_weight_to_about_zero():
    X, y = make_dataset("plane", 300, 0.0, 3)
    y = X[:, 0] / 6.0  # x2 carries nothing
    model, _ = _fit("regression", 0, X, y, 400, batch_size=300, optimizer="sgd",
                    learning_rate=0.1, regularization="l1", reg_rate=0.01)
    (W,), _ = model.weights()
    # Subgradient steps leave |w2| oscillating within about lr * l1 of zero.
    assert abs(W[1, 0]) < 5e-3 and W[0, 0] > 0.9


def test_hidden_activations_and_prediction_match_a_manual_forward_pass():
    config = Config(layers=(5, 3), activations=("tanh", "relu"), features=("x1", "x2", "x1x2"))
    model = NetworkModel(config, n_inputs=3, problem="binary", n_classes=2, seed=4)
    Z = make_features(np.random.default_rng(0).uniform(-6, 6, (50, 2)), config.features)
    Ws, bs = model.weights()
    h1 = np.tanh(Z @ Ws[0] + bs[0])
    h2 = np.maximum(h1 @ Ws[1] + bs[1], 0)
    hidden = model.hidden_activations(Z)
    np.testing.assert_allclose(hidden[0], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hidden[1], h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(Z), expit(h2 @ Ws[2] + bs[2])[:, 0], rtol=1e-5)
    assert [W.shape for W in Ws] == [(3, 5), (5, 3), (3, 1)]


def test_a_small_network_learns_the_circle():
    X, y = make_dataset("circle", 400, 0.0, 0)
    config = Config(layers=(6,), activations=("tanh",), optimizer="adam", learning_rate=0.03,
                    features=FEATS, batch_size=25)
    model = NetworkModel(config, n_inputs=2, problem="binary", n_classes=2, seed=0)
    Z = make_features(X, FEATS)
    start = model.loss(y, model.predict(Z))
    for _ in range(30):
        model.train_epoch(Z, y)
    assert model.epoch == 30
    assert model.loss(y, model.predict(Z)) < min(0.15, start / 4)
