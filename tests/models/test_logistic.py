"""LogisticRegression and SoftmaxRegression: against statsmodels' Logit/MNLogit (which agree with
R's glm(binomial) and nnet::multinom), solver agreement, labels, penalty, scikit-learn checks."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.exceptions import ConvergenceWarning
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


CHECKED = [LogisticRegression(), LogisticRegression(alpha=0.01), SoftmaxRegression(),
           SoftmaxRegression(alpha=0.01)]


@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)  # sklearn's toy data are separable
        check(estimator)


def _first(v):
    """Stata/R results list the constant last; reglab puts "Intercept" first."""
    v = np.asarray(v, dtype=float)
    return np.concatenate([v[-1:], v[:-1]])


@pytest.fixture(scope="module")
def spector():
    d = sm.datasets.spector.load_pandas()
    return d.exog, d.endog.to_numpy()


def test_logistic_spector_matches_published(spector):
    X, y = spector
    # At R's default tolerance (1e-8) the standard errors (R's: information of the last step)
    # are ~1e-5 from the converged ones; Stata's own published digits are ~1e-7 from the MLE
    # (statsmodels' Logit at tol 1e-14 agrees with this fit to 1e-10).
    m = LogisticRegression(tol=1e-13).fit(X, y)
    # statsmodels/discrete/tests/results/results_discrete.py, Spector.logit (Stata 11)
    np.testing.assert_allclose(m.params_.to_numpy(),
                               _first([2.82611297201, .0951576702557, 2.37868772835,
                                       -13.0213483201]), rtol=1e-6)
    np.testing.assert_allclose(m.std_errors_.to_numpy(),
                               _first([1.26294114526, .141554207662, 1.06456430165,
                                       4.93132462871]), rtol=1e-6)
    assert list(m.params_.index) == ["Intercept", "GPA", "TUCE", "PSI"]
    np.testing.assert_allclose(m.residuals("pearson")[:4],
                               [-.1652382, -.2515266, -.4800059, -.1630655], rtol=1e-5)
    np.testing.assert_allclose(m.residuals("deviance")[:4],
                               [-.2321102, -.3502712, -.6439626, -.2290982], rtol=1e-5)


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_first_order_solvers_reach_the_irls_fit(solver):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 3))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.2 + X @ [1.0, -0.7, 0.3])))).astype(int)
    ref = LogisticRegression().fit(X, y)
    m = LogisticRegression(solver=solver, learning_rate=1.0, max_iter=200).fit(X, y)
    # gd stops at max|grad| < tol = 1e-8 of the mean loss; the Hessian has eigenvalues ~0.2,
    # so the coefficients are within ~1e-7 of the optimum
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params_.to_numpy(), atol=2e-7)
    np.testing.assert_allclose(m.std_errors_.to_numpy(), ref.std_errors_.to_numpy(), rtol=1e-5)
    assert m.converged_ and len(m.loss_curve_) > 1


def test_sgd_gets_close_and_records_epochs():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2000, 2))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(X @ [1.0, -1.0])))).astype(int)
    ref = LogisticRegression().fit(X, y)
    m = LogisticRegression(solver="sgd", learning_rate=0.5, max_iter=60, random_state=0)
    m.fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, atol=0.05)
    assert m.loss_curve_[-1] < m.loss_curve_[0]


def test_string_labels_proba_and_l2_matches_sklearn():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4))
    lab = np.where(rng.random(300) < 1 / (1 + np.exp(-(X @ [1, 2, 0, -1]))), "spam", "ham")
    m = LogisticRegression(alpha=0.1).fit(X, lab)
    assert list(m.classes_) == ["ham", "spam"]
    P = m.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert set(m.predict(X)) <= {"ham", "spam"}
    # scikit-learn's objective: C = 1 / (alpha n) gives the same penalized optimum
    sk = SkLogistic(C=1 / (0.1 * 300), tol=1e-12, max_iter=10000).fit(X, lab)
    np.testing.assert_allclose(m.coef_, sk.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(m.intercept_, sk.intercept_[0], rtol=1e-6)


def test_probit_link_matches_statsmodels(spector):
    X, y = spector
    # Fisher scoring converges linearly for a non-canonical link: ask for a tight tolerance
    m = LogisticRegression(link="probit", tol=1e-13).fit(X, y)
    ref = sm.Probit(y, sm.add_constant(X)).fit(disp=0)
    np.testing.assert_allclose(m.params_.to_numpy(), ref.params.to_numpy(), rtol=1e-7)
    # statsmodels' Probit uses the observed Hessian, R's glm the expected one: agree to ~1e-2 here
    np.testing.assert_allclose(m.std_errors_.to_numpy(), ref.bse.to_numpy(), rtol=5e-2)


def test_separation_is_detected_and_names_the_column():
    rng = np.random.default_rng(6)
    x1 = rng.standard_normal(60)
    X = np.column_stack([x1, rng.standard_normal(60)])
    y = (x1 > 0.1).astype(int)
    with pytest.warns(SeparationWarning, match=r"complete separation: column\(s\) 'x1'"):
        m = LogisticRegression().fit(X, y)
    assert m.separation_.separated and m.separation_.columns == ["x1"]
    # a ridge penalty makes the estimate exist: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        LogisticRegression(alpha=0.01).fit(X, y)


def test_softmax_anes96_matches_published():
    d = sm.datasets.anes96.load_pandas()
    m = SoftmaxRegression().fit(d.exog, d.endog.astype(int))
    # results_discrete.Anes.mnlogit_basezero (Stata 11, "checked vs R nnet package"): 6 x 6,
    # rows = logpopul, selfLR, age, educ, income, const; columns = classes 1..6 vs baseline 0
    params = [-.01153598, .29771435, -.024945, .08249144, .00519655, -.37340167, -.08875065,
              .39166864, -.02289784, .18104276, .04787398, -2.2509132, -.1059667, .57345051,
              -.01485121, -.00715242, .05757516, -3.6655835, -.0915567, 1.2787718, -.00868135,
              .19982796, .08449838, -7.6138431, -.0932846, 1.3469616, -.01790407, .21693885,
              .08095841, -7.0604782, -.14088069, 2.0700801, -.00943265, .3219257, .10889408,
              -12.105751]
    bse = [.0342823657, .093626795, .0065248584, .0735865799, .0176336937, .6298376313,
           .0391615553, .1082386919, .0079144618, .0852893563, .0222809297, .7631899491,
           .0570382292, .1585481337, .0113313133, .1262913234, .0336142088, 1.156541492,
           .0437902764, .1288965854, .0084187486, .0941250559, .0261963632, .9575809602,
           .0393516553, .1171860107, .0076110152, .0850070091, .0229760791, .8443638283,
           .042138047, .1434089089, .0081338625, .0910979921, .025300888, 1.059954821]
    P = np.reshape(params, (6, -1), order="F")
    S = np.reshape(bse, (6, -1), order="F")
    order = [5, 0, 1, 2, 3, 4]  # constant first
    np.testing.assert_allclose(m.params_.to_numpy(), P[order], rtol=1e-6)
    np.testing.assert_allclose(m.std_errors_.to_numpy(), S[order], rtol=1e-6)
    np.testing.assert_allclose(m.llf_, -1461.922747312, rtol=1e-10)
    np.testing.assert_allclose(m.aic_, 2995.84549462, rtol=1e-10)
    np.testing.assert_allclose(m.bic_, 3170.45003661, rtol=1e-10)
    np.testing.assert_allclose(m.null_deviance_, 2 * 1750.34670999, rtol=1e-10)
    proba = m.predict_proba(d.exog)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    lb = SoftmaxRegression(solver="lbfgs").fit(d.exog, d.endog.astype(int))
    np.testing.assert_allclose(lb.params_.to_numpy(), m.params_.to_numpy(), rtol=1e-4, atol=1e-6)


def _pie(n=300, seed=1):
    # three classes in 120-degree sectors of the unit disc: no class is separable from the
    # other two (they all meet at the origin), but jointly they are (B_k = sector k's centre)
    rng = np.random.default_rng(seed)
    ang = rng.uniform(0, 2 * np.pi, n)
    r = np.sqrt(rng.uniform(0, 1, n))
    X = np.column_stack([r * np.cos(ang), r * np.sin(ang)])
    return X, np.array(["a", "b", "c"])[(ang // (2 * np.pi / 3)).astype(int)]


def test_softmax_separation_of_one_class_is_named():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 2))
    y = np.where(X[:, 0] > 1, "c", np.where(rng.random(300) < 0.5, "a", "b"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(SeparationWarning, match=r"separation of class 'c' from the others: "
                                                   r"column\(s\) 'x1'"):
            m = SoftmaxRegression().fit(X, y)
    assert m.separation_.separated and m.separation_.columns == ["x1"]
    assert "WARNING: complete separation of class 'c'" in m.summary()


def test_softmax_joint_separation_is_found_by_the_multinomial_lp():
    X, y = _pie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(SeparationWarning, match=r"^complete separation: column\(s\) 'x1', "
                                                   r"'x2'"):
            m = SoftmaxRegression().fit(X, y)
    assert m.separation_.label == "" and m.separation_.complete
    # a ridge penalty makes the estimate exist: no check, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        assert SoftmaxRegression(alpha=0.01).fit(X, y).separation_ is None


def test_softmax_without_separation_has_no_warning():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 2))
    y = rng.choice(["a", "b", "c"], 400)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        m = SoftmaxRegression().fit(X, y)
    assert m.separation_ is None and m.converged_


def test_softmax_fit_on_a_dataframe_warns_nothing_about_feature_names():
    """The separation check used to call predict_proba on the validated array, which made
    scikit-learn warn that X has no feature names when the fit had them."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((120, 2)), columns=["a", "b"])
    y = np.digitize(X["a"] + rng.normal(0, 0.8, 120), [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = SoftmaxRegression().fit(X, y)
    np.testing.assert_allclose(m.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)


def _three_classes(n=400, seed=7):
    # columns on different scales and one off-centre (x2 ~ 5 +- 3), as real data are
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5] + [0.0, 5.0, 0.0]
    Z = 0.5 * X @ rng.normal(size=(3, 3))
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return X, np.array([rng.choice(3, p=p) for p in P])


def test_penalized_softmax_is_sklearns_symmetric_penalty():
    """alpha/2 sum_k ||beta_k||^2 over all K classes = scikit-learn's multinomial penalty with
    C = 1 / (alpha n). Both sides are Newton methods run to tol 1e-12 or tighter (quadratic
    convergence); measured: probabilities 1.5e-13, coefficients 1.8e-13 apart."""
    X, yk = _three_classes()
    alpha, n = 0.01, len(yk)
    sk = SkLogistic(C=1 / (alpha * n), solver="newton-cholesky", tol=1e-12, max_iter=1000)
    sk.fit(X, yk)
    m = SoftmaxRegression(alpha=alpha, tol=1e-14).fit(X, yk)
    np.testing.assert_allclose(m.predict_proba(X), sk.predict_proba(X), rtol=0, atol=1e-10)
    np.testing.assert_allclose(m.coef_, sk.coef_, rtol=0, atol=1e-10)
    # the intercepts are identified up to a common shift: reglab centres them
    np.testing.assert_allclose(m.intercept_, sk.intercept_ - sk.intercept_.mean(), atol=1e-10)
    assert abs(m.intercept_.sum()) < 1e-12 and np.abs(m.coef_.sum(axis=0)).max() < 1e-10
    assert list(m.params_.columns) == ["0", "1", "2"]  # all K classes: no baseline
    # prior weights (C = 1 / (alpha sum w)) and no intercept: the same objective (measured 5e-14
    # and 1.9e-13)
    w = np.random.default_rng(0).uniform(0.5, 2.0, n)
    skw = SkLogistic(C=1 / (alpha * w.sum()), solver="newton-cholesky", tol=1e-12)
    mw = SoftmaxRegression(alpha=alpha, tol=1e-14).fit(X, yk, sample_weight=w)
    np.testing.assert_allclose(mw.predict_proba(X), skw.fit(X, yk, sample_weight=w)
                               .predict_proba(X), rtol=0, atol=1e-10)
    sk0 = SkLogistic(C=1 / (alpha * n), fit_intercept=False, solver="newton-cholesky", tol=1e-12)
    m0 = SoftmaxRegression(alpha=alpha, fit_intercept=False, tol=1e-14).fit(X, yk)
    np.testing.assert_allclose(m0.coef_, sk0.fit(X, yk).coef_, rtol=0, atol=1e-10)
    # the first-order solvers reach the same optimum (lbfgs stops at gtol 1e-12 on the mean
    # loss, gd at max|grad| < 1e-10; measured 3.3e-9 and 1.8e-9 in probability)
    for solver in ("lbfgs", "gd"):
        f = SoftmaxRegression(alpha=alpha, solver=solver, learning_rate=1.0, max_iter=1000)
        f.fit(X, yk)
        np.testing.assert_allclose(f.predict_proba(X), sk.predict_proba(X), rtol=0, atol=1e-7)


def test_penalized_softmax_does_not_depend_on_the_label_order():
    """Renaming class 'a' to 'z' moves it from first (the old baseline) to last; the fitted
    probabilities must not change (with the K - 1 baseline penalty they moved by 0.04; now
    2e-16, coefficients 3.5e-15)."""
    X, yk = _three_classes(seed=3)
    pa = SoftmaxRegression(alpha=0.004).fit(X, np.array(["a", "b", "c"])[yk])
    pb = SoftmaxRegression(alpha=0.004).fit(X, np.array(["z", "b", "c"])[yk])
    np.testing.assert_allclose(pa.predict_proba(X), pb.predict_proba(X)[:, [2, 0, 1]],
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(pa.coef_, pb.coef_[[2, 0, 1]], rtol=0, atol=1e-8)


def test_penalized_softmax_reports_penalized_standard_errors():
    """The penalized covariance (X'WX + P)^-1 on the sum-to-zero subspace (checked against
    LogisticRegression, a finite-difference Hessian and alpha -> 0 in
    test_softmax_penalized_se.py); AIC counts the effective df (fewer than the (K - 1) q = 8
    free coefficients)."""
    X, yk = _three_classes()
    m = SoftmaxRegression(alpha=0.01).fit(X, yk)
    assert np.isfinite(m.std_errors_.to_numpy()).all() and np.isfinite(m.pvalues_).all().all()
    assert m.cov_params_.shape == (12, 12)
    text = m.summary()
    assert "symmetric L2 penalty on all classes" in text
    assert "effective degrees of freedom for the 8 free coefficients" in text
    assert 7 < m.edf_ < 8
    np.testing.assert_allclose(m.aic_, m.deviance_ + 2 * m.edf_, rtol=1e-12)


def test_penalized_softmax_with_two_classes_is_logistic_with_half_the_alpha():
    """K = 2: beta_1 = -beta_0 = b / 2, so the symmetric penalty alpha/2 (2 ||b/2||^2) is
    LogisticRegression's with alpha / 2 (both Newton fits at tol 1e-14)."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 2))
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ [1.0, -1.5])))).astype(int)
    s = SoftmaxRegression(alpha=0.02, tol=1e-14).fit(X, y)
    lr = LogisticRegression(alpha=0.01, tol=1e-14).fit(X, y)
    np.testing.assert_allclose(s.decision_function(X), lr.decision_function(X), atol=1e-9)


@pytest.mark.parametrize("est, y", [
    (LogisticRegression(solver="sgd", random_state=0), "binary"),
    (SoftmaxRegression(solver="sgd", random_state=0), "three"),
])
def test_unconverged_sgd_warns(est, y):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    eta = 0.5 + X @ [1.0, -2.0, 0.5]
    yy = ((rng.random(500) < 1 / (1 + np.exp(-eta))).astype(int) if y == "binary"
          else np.digitize(eta + rng.normal(size=500), [-0.5, 0.5]))
    with pytest.warns(ConvergenceWarning, match=r"^SGD did not settle in 100 epochs: the last "
                      r"epoch changed the objective by \S+ \(relative\) > tol=1e-06; the "
                      r"coefficients are not the optimum: raise max_iter \(epochs\), or use "
                      r"solver='irls' or 'lbfgs'$"):
        est.fit(X, yy)
    assert not est.converged_ and est.n_iter_ == 100


@pytest.mark.parametrize("est", [LogisticRegression(), SoftmaxRegression()])
@pytest.mark.parametrize("column", [pd.Categorical([1, 2, 3] * 20), ["u", "v", "w"] * 20])
def test_non_numeric_columns_are_refused(est, column):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "g": column})
    y = rng.integers(0, 2, 60)
    name = type(est).__name__
    with pytest.raises(ValueError) as err:
        est.fit(X, y)
    assert str(err.value) == (f"X column(s) ['g'] are not numeric (text or categorical); encode "
                              f"them (one-hot) or use {name}.from_formula, which does")
