"""``family_`` of the MLP estimators: the output head, public, as GLM's ``family_``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.special import expit, softmax
from sklearn.exceptions import NotFittedError

from reglab.models import MLPClassifier, MLPRegressor
from reglab.viz._residuals import pearson_scale


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: ConvergenceWarning expected
        return est.fit(X, y)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 0])).astype(float) + 1.0  # > 0 for gamma too
    return X, y


def test_regressor_family_is_its_head_with_the_statsmodels_variance(data):
    X, y = data
    pois = _fit(MLPRegressor((4,), family="poisson", max_iter=3, random_state=0,
                             dtype="float64"), X, y)
    fam = pois.family_
    assert (fam.name, fam.link.name) == ("poisson", "log")
    eta = pois.network_.predict_eta(X)[:, 0]
    np.testing.assert_allclose(pois.predict(X), np.exp(eta), rtol=1e-12, atol=0)
    mu = pois.predict(X)
    # V(mu) against statsmodels' families (independent code), 1e-12 relative
    np.testing.assert_allclose(fam.variance(mu), sm.families.Poisson().variance(mu), rtol=1e-12)
    gam = _fit(MLPRegressor((4,), family="gamma", max_iter=3, random_state=0), X, y)
    assert (gam.family_.name, gam.family_.link.name) == ("gamma", "log")  # heads: log link
    np.testing.assert_allclose(gam.family_.variance(mu), sm.families.Gamma().variance(mu),
                               rtol=1e-12)
    # the residual report reads the public attribute: Gamma Pearson scale sqrt(mu^2) = mu
    scale, words = pearson_scale(gam, mu)
    np.testing.assert_allclose(scale, mu, rtol=1e-12)
    assert "Gamma variance mu^2" in words
    # a robust loss is a head without a variance: raw residuals
    hub = _fit(MLPRegressor((4,), family="huber", max_iter=2, random_state=0), X, y)
    assert hub.family_.name == "huber" and pearson_scale(hub, mu)[0] is None


def test_classifier_family_is_binomial_or_categorical(data):
    X, _ = data
    two = _fit(MLPClassifier((4,), max_iter=3, random_state=0, dtype="float64"), X,
               (X[:, 0] > 0).astype(int))
    assert two.family_.name == "binomial" and two.family_.link.name == "logit"
    eta = two.network_.predict_eta(X)
    # the head's mean against scipy's expit (predict_proba's own code), 1e-12 relative
    np.testing.assert_allclose(two.family_.mean(eta[:, 0]), expit(eta[:, 0]), rtol=1e-12)
    three = _fit(MLPClassifier((4,), max_iter=3, random_state=0, dtype="float64"), X,
                 np.digitize(X[:, 0], [-0.5, 0.5]))
    assert three.family_.name == "categorical"
    eta = three.network_.predict_eta(X)
    np.testing.assert_allclose(three.family_.mean(eta), softmax(eta, axis=1), rtol=1e-12)


def test_family_survives_a_round_trip_and_needs_a_fit(data):
    X, y = data
    reg = _fit(MLPRegressor((4,), family="poisson", max_iter=2, random_state=0), X, y)
    again = MLPRegressor.from_dict(reg.to_dict())
    assert again.family_.to_dict() == reg.family_.to_dict()
    unfitted = MLPRegressor()
    assert not hasattr(unfitted, "family_")
    with pytest.raises(NotFittedError) as err:
        unfitted.family_
    assert str(err.value) == ("This MLPRegressor instance is not fitted yet. Call 'fit' with "
                              "appropriate arguments before using this estimator.")
