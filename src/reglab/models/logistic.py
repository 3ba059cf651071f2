r"""Logistic and softmax regression: the Bernoulli and categorical GLMs, i.e. one neuron.

A logistic regression is a single neuron with a sigmoid activation trained on the cross-entropy
(the lecture's ``A = W^T X + b``, ``H = sigmoid(A)``, ``E = H - Y``, ``dW = X E^T / m``, written
batch-first here as ``X^T (mu - y) / n``). In GLM terms it is the binomial family with its canonical
logit link, and ``mu - y`` is the family's gradient with respect to eta. Softmax regression is the
categorical family with the multinomial-logit link. Unpenalized, the first class is the baseline
(its coefficients are fixed at 0) so that the coefficients are identifiable and have standard
errors, as in R's ``nnet::multinom`` and statsmodels' ``MNLogit``.

Solvers: ``"irls"`` (Newton / Fisher scoring, default, inference-grade), ``"lbfgs"``, ``"gd"`` (the
lecture's vectorised batch gradient descent) and ``"sgd"`` (mini-batch). ``alpha`` is an L2 penalty
``alpha/2 ||beta||^2`` on the mean cross-entropy (scikit-learn's convention, intercept free). For
softmax it is scikit-learn's symmetric multinomial penalty ``alpha/2 sum_k ||beta_k||^2`` over all
K classes: penalising K - 1 vectors against a baseline would make the fit depend on which label
sorts first. A penalized softmax fit therefore has K coefficient vectors that sum to 0 over the
classes (the slopes at the optimum, the intercepts centred); its standard errors are the penalized
("Bayesian") ones of GLM and LogisticRegression, ``(X'WX + P)^-1`` on that sum-to-zero subspace.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import null_space
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from reglab._warn import user_stacklevel
from reglab.core._xp import plain
from reglab.core.families import get_family
from reglab.core.softmax import softmax
from reglab.inference import glm_stats as gs
from reglab.inference.separation import SeparationWarning, detect_multinomial_separation
from reglab.inference.table import coef_table, format_summary
from reglab.models._design import check_numeric_columns
from reglab.models._formula import FormulaMixin
from reglab.models.glm import GLM, check_finite_X, check_vector, feature_names
from reglab.solvers.irls import irls_state
from reglab.solvers.lbfgs import (
    GLMObjective,
    multinomial_information,
    multinomial_newton,
    solve_first_order,
)

__all__ = ["LogisticRegression", "SoftmaxRegression"]

SOLVERS = ("irls", "lbfgs", "gd", "sgd")


def _labels(y: Any, n_min: int, n_max: int | None, who: str) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)`` from any labels (strings too), with the class count checked."""
    if y is None:
        raise ValueError(f"{who} requires y to be passed, but the target y is None")
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    k = len(classes)
    if n_max == 2 and k > 2:
        raise ValueError(f"Only binary classification is supported. The type of the target is "
                         f"{type_of_target(y)} ({k} classes); use SoftmaxRegression")
    if k < n_min or (n_max is not None and k > n_max):
        want = f"{n_min}" if n_max == n_min else f"at least {n_min}"
        hint = "; use SoftmaxRegression for more" if n_max == 2 and k > 2 else ""
        raise ValueError(f"{who} needs {want} classes in y; got {k} class"
                         f"{'es' if k != 1 else ''}: {list(classes)[:5]}{hint}")
    return classes, codes


def _positive_weight_classes(codes, sample_weight, who) -> None:
    if sample_weight is None:
        return
    w = np.asarray(sample_weight, dtype=float).reshape(-1)
    if w.shape[0] == codes.shape[0] and not (w > 0).any():
        raise ValueError("all sample weights are zero: nothing to fit")
    if w.shape[0] == codes.shape[0] and len(np.unique(codes[w > 0])) < 2:
        raise ValueError(f"{who} needs 2 classes among the rows with positive sample_weight; "
                         f"got {len(np.unique(codes[w > 0]))} class")


def _first_order(est, X, y, family, sw, P, m: int = 1, baseline: bool = True):
    opts = {"tol": est.tol, "max_iter": est.max_iter, "learning_rate": est.learning_rate,
            "batch_size": est.batch_size, "random_state": est.random_state}
    if est.solver == "lbfgs":
        opts.update(tol=min(est.tol, 1e-6) * 1e-2, max_iter=est.max_iter * 10)
    elif est.solver == "gd":
        opts.update(max_iter=est.max_iter * 100)
    return solve_first_order(est.solver, X, y, family, sw, P, est.fit_intercept, m, opts, baseline)


def sum_to_zero_covariance(H: np.ndarray, P: np.ndarray | None, q: int,
                           k: int) -> tuple[np.ndarray, float]:
    r"""Covariance (q k, q k) and effective df of a symmetric-parameterisation softmax fit.

    ``H`` (q k, q k): :func:`~reglab.solvers.lbfgs.multinomial_information` of the coefficients
    ``Theta`` (q, k) flattened row-major, i.e. the blocks ``X~' diag(w p_a (d_ab - p_b)) X~``
    plus the penalty ``P (x) I_k``; ``P`` (q, q) (None: unpenalized). The likelihood is flat
    along adding one vector ``c`` (q,) to every class's column, so the data identify only the
    subspace ``S = {Theta: Theta 1_k = 0}``. The fit lies in ``S`` (the penalized optimum sums to
    0 over the classes, the intercepts are centred), and this is the covariance of that
    constrained fit: with ``Z`` an orthonormal basis of ``S`` and ``G = H - P (x) I_k``,

    .. math:: V = Z (Z^\top H Z)^{-1} Z^\top, \qquad
              \mathrm{edf} = \operatorname{tr}\big((Z^\top H Z)^{-1} Z^\top G Z\big),

    i.e. ``H``'s pseudo-inverse on ``S``: GLM's penalized covariance and edf in coordinates
    where the data say something. (Along a common shift of the slopes ``H``'s curvature is the
    penalty's alone; its inverse there, ``1 / (k alpha sum w)``, is prior variance, not reported.)
    """
    Z = np.kron(np.eye(q), null_space(np.ones((1, k))))  # (q k, q (k - 1))
    Hs = Z.T @ H @ Z
    gram = Hs if P is None else Hs - np.kron(P, np.eye(k - 1))  # Z'(P (x) I_k)Z
    cov = Z @ gs.covariance(Hs) @ Z.T
    edf = gs.effective_df(SimpleNamespace(theta=np.empty(Hs.shape[0]), hessian=Hs, gram=gram))
    return cov, edf


class LogisticRegression(ClassifierMixin, GLM):
    """Binary logistic regression (binomial GLM) with R-grade inference.

    Parameters: solver in ("irls", "lbfgs", "gd", "sgd"); alpha (L2, default 0 = MLE); link
    ("logit", or "probit", "cloglog"); fit_intercept; tol, max_iter (IRLS iterations; epochs or
    steps/100 for gd/sgd); learning_rate, batch_size, random_state (gd/sgd).
    Fitted: classes_ (2,), coef_ (p,), intercept_ and all of GLM's inference attributes for
    ``P(y = classes_[1])``; ``loss_curve_`` (objective per iteration/epoch).
    """

    def __init__(self, solver: str = "irls", alpha: float = 0.0, link: str = "logit",
                 fit_intercept: bool = True, tol: float = 1e-8, max_iter: int = 100,
                 learning_rate: float = 0.1, batch_size: int = 32, random_state: Any = None):
        self.solver = solver
        self.alpha = alpha
        self.link = link
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def _make_family(self):
        return get_family("binomial", link=self.link)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # two classes; SoftmaxRegression for more
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit to labels ``y`` (n,) of exactly two classes (any dtype, strings included)."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}")
        classes, codes = _labels(y, 2, 2, type(self).__name__)
        _positive_weight_classes(codes, sample_weight, type(self).__name__)
        super().fit(X, codes.astype(float), sample_weight=sample_weight)
        self.classes_ = classes
        return self

    def _solve(self, X, y, family, sw, off, names):
        if self.solver == "irls":
            return super()._solve(X, y, family, sw, off, names)
        check_finite_X(X, names)  # IRLS finds these in its first pass; the others must look
        P = self._penalty(sw, X)
        if P is not None and self.fit_intercept:
            P = np.pad(P, ((1, 0), (1, 0)))
        out = _first_order(self, X, y, family, sw, P)
        res = irls_state(X, y, family, out.theta, sample_weight=sw, penalty=P,
                         fit_intercept=self.fit_intercept, converged=out.converged,
                         n_iter=out.n_iter, message=out.message)
        res.loss_curve = out.loss_curve
        return res, family

    def decision_function(self, X) -> np.ndarray:
        """The linear predictor eta (n,) (log-odds for the logit link)."""
        check_is_fitted(self, "params_")
        return self._linear_predictor(X)[0]

    def predict_proba(self, X) -> np.ndarray:
        """(n, 2): ``[P(classes_[0]), P(classes_[1])]``."""
        eta = self.decision_function(X)
        p = np.asarray(self.family_.link.inverse(eta))
        return np.column_stack([1.0 - p, p])

    def predict_log_proba(self, X) -> np.ndarray:
        eta = self.decision_function(X)
        link = self.family_.link  # after the fitted check in decision_function
        return np.column_stack([link.log1m_inverse(eta), link.log_inverse(eta)])

    def predict(self, X) -> np.ndarray:
        """The more probable class label (n,)."""
        eta = self.decision_function(X)
        return self.classes_[(eta > 0).astype(int)]


class SoftmaxRegression(ClassifierMixin, FormulaMixin, BaseEstimator):
    """Multinomial (softmax) regression with the first class as baseline, and its inference.

    Fitted: classes_ (K,), coef_ (K, p) and intercept_ (K,) (row 0 is the baseline: zeros);
    params_, std_errors_, zvalues_, pvalues_: DataFrames (terms x classes_[1:]); cov_params_
    ((q (K-1)) square, MultiIndex (term, class)).
    With ``alpha > 0`` (scikit-learn's symmetric penalty ``alpha/2 sum_k ||beta_k||^2`` over all K
    classes, intercepts free and centred to sum to 0): no baseline, params_ is terms x classes_
    (all K, summing to 0 over the classes), and cov_params_ ((q K) square) is the penalized
    ("Bayesian") covariance ``(X'WX + P)^-1`` of GLM and LogisticRegression restricted to that
    sum-to-zero subspace (:func:`sum_to_zero_covariance`), with its standard errors, z and
    p-values; edf_ = ``trace((X'WX + P)^-1 X'WX)`` there, which aic_ and bic_ count
    (unpenalized: q (K - 1)). Also: deviance_, null_deviance_, llf_, aic_, bic_,
    df_resid_, df_null_, dispersion_ (1), nobs_, n_iter_, converged_, family_, loss_curve_,
    separation_ (None, or the :class:`~reglab.inference.separation.Separation` found when an
    unpenalized fit did not converge or fitted a probability of 1: the MLE then does not exist,
    and a SeparationWarning names the class and columns).
    """

    def __init__(self, solver: str = "irls", alpha: float = 0.0, fit_intercept: bool = True,
                 tol: float = 1e-10, max_iter: int = 100, learning_rate: float = 0.1,
                 batch_size: int = 32, random_state: Any = None):
        self.solver = solver
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit to labels ``y`` (n,) with at least two classes (strings allowed)."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}; got {self.solver!r}")
        if self.alpha < 0:
            raise ValueError(f"alpha must be >= 0; got {self.alpha!r}")
        check_numeric_columns(X, type(self).__name__)
        Xa = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
        names, _ = feature_names(X, Xa.shape[1])
        check_finite_X(Xa, names)
        classes, codes = _labels(y, 2, None, type(self).__name__)
        _positive_weight_classes(codes, sample_weight, type(self).__name__)
        if len(codes) != Xa.shape[0]:
            raise ValueError(f"y has {len(codes)} rows but X has {Xa.shape[0]}")
        sw = check_vector(sample_weight, Xa.shape[0], "sample_weight", positive=True)
        family = get_family("categorical")
        m, q = len(classes) - 1, Xa.shape[1] + int(self.fit_intercept)
        nobs = Xa.shape[0] if sw is None else int((sw > 0).sum())
        if (nobs < q and not self.alpha) or nobs < 2:  # a ridge estimate exists even then
            raise ValueError(f"{nobs} samples are too few for {q * m} coefficients")
        P, baseline = None, not self.alpha  # a penalized fit: all K classes, symmetric
        if self.alpha:
            total = Xa.shape[0] if sw is None else float(sw.sum())
            P = self.alpha * total * np.diag([0.0] * int(self.fit_intercept) + [1.0] * Xa.shape[1])
            m += 1
        obj = GLMObjective(Xa, codes, family, sw, P, self.fit_intercept, m, baseline)
        if self.solver == "irls":
            out, H = multinomial_newton(obj, np.zeros(q * m), tol=self.tol,
                                        max_iter=self.max_iter)
        else:
            out = _first_order(self, Xa, codes, family, sw, P, m, baseline)
            out.loss = obj.value_and_grad(out.theta)[0]
            H = multinomial_information(obj, out.theta.reshape(q, m))
        self._set_fitted(obj, out, H, classes, names, nobs)
        self.separation_ = self._separation(Xa, codes, sw, names)
        return self

    def _separation(self, X, codes, sw, names):
        """Check for separation when the fit shows its symptoms (unpenalized only: a ridge
        penalty makes the estimate exist)."""
        if self.alpha:
            return None
        # (from the validated training array itself: predict_proba would validate it again
        # and warn that it has no feature names when the fit had them)
        prob = softmax(X @ self.coef_.T + self.intercept_, axis=1)
        if self.converged_ and not (prob.max(axis=1) > 1 - 1e-8).any():
            return None
        sep = detect_multinomial_separation(X, codes, list(self.classes_), self.fit_intercept,
                                            names, sw)
        if sep.separated:
            warnings.warn(sep.message(), SeparationWarning, stacklevel=user_stacklevel())
            return sep
        return None

    def _set_fitted(self, obj, out, H, classes, names, nobs):
        q, m = obj.q, obj.m
        terms = (["Intercept"] if self.fit_intercept else []) + names
        Theta = out.theta.reshape(q, m).copy()
        if not obj.baseline and self.fit_intercept:
            Theta[0] -= Theta[0].mean()  # a common shift of the intercepts changes no probability
        if obj.baseline:
            cov, self.edf_ = gs.covariance(H), float(q * m)
        else:  # symmetric (penalized): the covariance on the sum-to-zero subspace
            cov, self.edf_ = sum_to_zero_covariance(H, obj.P, q, m)
        cls = [str(c) for c in classes[len(classes) - m:]]
        self.params_ = pd.DataFrame(Theta, index=terms, columns=cls)
        var = np.diag(cov)
        se = np.sqrt(np.where(var >= 0, var, np.nan))  # pinv of a separated fit can dip below 0
        self.std_errors_ = pd.DataFrame(se.reshape(q, m), index=terms, columns=cls)
        self.zvalues_ = self.params_ / self.std_errors_
        self.pvalues_ = pd.DataFrame(2 * stats.norm.sf(np.abs(self.zvalues_.to_numpy())),
                                     index=terms, columns=cls)
        mi = pd.MultiIndex.from_product([terms, cls], names=["term", "class"])
        self.cov_params_ = pd.DataFrame(cov, index=mi, columns=mi)
        full = np.vstack([np.zeros((1, q)), Theta.T]) if obj.baseline else Theta.T  # (K, q)
        self.intercept_ = full[:, 0].copy() if self.fit_intercept else np.zeros(len(classes))
        self.coef_ = full[:, int(self.fit_intercept):].copy()
        self.classes_, self.family_ = classes, obj.family
        self.deviance_ = 2.0 * out.loss * obj.total - (0.0 if obj.P is None else float(
            out.theta.reshape(q, m).ravel() @ (np.kron(obj.P, np.eye(m)) @ out.theta)))
        freq = np.bincount(obj.y, weights=obj.sw, minlength=len(classes)) / obj.total
        self.null_deviance_ = -2.0 * float(obj.total * (freq[freq > 0] @ np.log(freq[freq > 0])))
        self.llf_ = -0.5 * self.deviance_  # 0/1 outcomes: the saturated log-likelihood is 0
        m = len(classes) - 1  # the model's dimension counts K - 1 free vectors either way
        self.aic_, self.bic_ = gs.information_criteria(self.llf_, self.edf_, nobs)
        self.nobs_, self.df_resid_, self.df_model_ = nobs, nobs - q * m, (q - 1) * m
        self.df_null_, self.dispersion_ = nobs - m * int(self.fit_intercept), 1.0
        self.n_iter_, self.converged_, self.loss_curve_ = out.n_iter, out.converged, out.loss_curve

    def _eta(self, X) -> np.ndarray:
        check_is_fitted(self, "params_")
        X = self._formula_transform(X)
        Xa = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        check_finite_X(Xa, list(self.params_.index[int(self.fit_intercept):]), stage="predicting")
        return Xa @ self.coef_.T + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Linear predictors (n, K) (column 0 is 0 in the baseline parameterisation); (n,)
        log-odds of classes_[1] if K = 2."""
        eta = self._eta(X)
        return eta[:, 1] - eta[:, 0] if eta.shape[1] == 2 else eta

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, K) = softmax(eta)."""
        return softmax(self._eta(X), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class label (n,)."""
        k = np.argmax(self._eta(X), axis=1)
        return self.classes_[k]

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """One R-style table, rows ``class:term``."""
        check_is_fitted(self, "params_")
        p, s = self.params_.T.stack(), self.std_errors_.T.stack()
        names = [f"{c}:{t}" for c, t in p.index]
        return coef_table(p.to_numpy(), s.to_numpy(), dist="z", level=level, names=names)

    def summary(self, level: float = 0.95) -> str:
        """R-like text summary (``nnet::multinom`` coefficients with Wald z tests)."""
        check_is_fitted(self, "params_")
        penalized = self.params_.shape[1] == len(self.classes_)
        title = ("Softmax (multinomial logit) regression, "
                 + ("symmetric L2 penalty on all classes" if penalized else
                    f"baseline class {plain(self.classes_[0])!r}") + f", solver {self.solver}")
        lines = [f"Residual deviance: {self.deviance_:.4f}  (null {self.null_deviance_:.4f})",
                 f"Log-likelihood: {self.llf_:.4f},  AIC: {self.aic_:.4f},  BIC: {self.bic_:.4f}",
                 f"Iterations: {self.n_iter_} ({'' if self.converged_ else 'NOT '}converged)"]
        if getattr(self, "separation_", None) is not None:
            lines.append("WARNING: " + self.separation_.message())
        if penalized:
            lines += self._penalty_lines()
        return format_summary(title, self.coef_table(level), lines)

    def _penalty_lines(self) -> list[str]:
        """What the K columns and SEs mean, and GLM's edf line (models/_glm_summary.py)."""
        q, k = self.params_.shape
        edf = getattr(self, "edf_", None)
        if edf is None:  # a model file written before penalized fits had SEs (they are NaN)
            return [f"Penalized fit (alpha = {self.alpha:g}): this model file holds no standard "
                    "errors (written before reglab computed them; refit for them)"]
        return ["Each term's coefficients sum to 0 over the classes; SEs: (X'WX + P)^-1 on "
                "that subspace",
                f"(L2 penalty alpha = {self.alpha:g}: {edf:.4g} effective degrees of freedom for "
                f"the {q * (k - 1)} free coefficients, which AIC and BIC count)"]

