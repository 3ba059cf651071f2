"""Every warning reglab raises names the user's line, not a line inside reglab."""

import warnings

import numpy as np
import pytest

from reglab import (
    GLM,
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    NegativeBinomial,
    SoftmaxRegression,
)
from reglab._warn import user_stacklevel

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2))
Y_BIN = (X[:, 0] > 0).astype(int)
Y_COUNT = rng.poisson(2, 60)

CASES = {
    "mlp max_iter": lambda: MLPClassifier((4,), max_iter=2, random_state=0).fit(X, Y_BIN),
    "mlp lbfgs": lambda: MLPClassifier((4,), optimizer="lbfgs", max_iter=2,
                                       random_state=0).fit(X, Y_BIN),
    "logistic separation": lambda: LogisticRegression().fit(X, Y_BIN),
    "softmax separation": lambda: SoftmaxRegression().fit(X, Y_BIN),
    "glm irls max_iter": lambda: GLM(family="poisson", max_iter=1).fit(X, Y_COUNT),
    "nb max_iter": lambda: NegativeBinomial(max_iter=1).fit(X, Y_COUNT),
    "aliased columns": lambda: LinearRegression().fit(np.column_stack([X, X[:, 0]]), Y_COUNT),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_warning_points_at_the_caller(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CASES[case]()
    ours = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    assert ours, f"{case}: expected a warning"
    for w in ours:
        assert w.filename == __file__, f"{case}: {w.category.__name__} at {w.filename}:{w.lineno}"


def test_user_stacklevel_outside_reglab_is_one():
    assert user_stacklevel() == 1  # called from this test file: the caller itself
