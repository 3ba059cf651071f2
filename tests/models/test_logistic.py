"""LogisticRegression and SoftmaxRegression: against statsmodels' Logit/MNLogit (which agree with
R's glm(binomial) and nnet::multinom), solver agreement, labels, penalty, scikit-learn checks."""

import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.utils.estimator_checks import parametrize_with_checks

from reglab.inference.separation import SeparationWarning
from reglab.models.logistic import LogisticRegression, SoftmaxRegression


def _expected_failures(estimator):
    # Unpenalized maximum likelihood: after the check's weight trimming there are fewer rows than
    # coefficients, the MLE is not unique and fit raises (by design) instead of picking one.
    if estimator.alpha == 0:
        return {"check_sample_weight_equivalence_on_dense_data":
                "unpenalized MLE with more coefficients than rows is refused"}
    return {}


@parametrize_with_checks([LogisticRegression(), LogisticRegression(solver="lbfgs", alpha=0.01),
                          SoftmaxRegression()], expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)  # sklearn's toy data are separable
        check(estimator)
