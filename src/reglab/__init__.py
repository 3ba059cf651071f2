"""reglab: regression and neural networks on tabular data.

The public API is re-exported here explicitly; ``reglab.__all__`` lists it. Each subpackage
keeps its own ``__all__``: ``reglab.core`` (activations, softmax, links, families, losses),
``reglab.nn`` (the network engine), ``reglab.solvers`` (IRLS and the gradient-descent path),
``reglab.models`` (the scikit-learn estimators), ``reglab.inference``, ``reglab.bayes`` (needs the
``bayes`` extra at fit time; importing it does not import JAX), ``reglab.data``, ``reglab.viz``
and ``reglab.io``.
"""

from __future__ import annotations

from .bayes import BayesianGLM, ErrorsInVariablesRegression
from .core import (
    ACTIVATIONS,
    FAMILIES,
    LINKS,
    LOSSES,
    AbsoluteError,
    Activation,
    Bernoulli,
    Binomial,
    Categorical,
    Family,
    Gamma,
    Gaussian,
    Huber,
    InverseGaussian,
    Link,
    Loss,
    Poisson,
    SquaredError,
    Tweedie,
    cross_entropy,
    get_activation,
    get_family,
    get_link,
    get_loss,
    log_softmax,
    logsumexp,
    one_hot,
    sigmoid,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)
from .core import NegativeBinomial as NegativeBinomialFamily
from .inference import coef_table
from .inference.anova import anova
from .models import (
    GAM,
    GLM,
    BasisExpansion,
    LinearRegression,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    NegativeBinomial,
    Perceptron,
    RandomForestClassifier,
    RandomForestRegressor,
    SoftmaxRegression,
)
from .nn import Sequential, build_network, check_gradients
from .solvers import ConvergenceWarning, irls
from .solvers.gradient_descent import (
    geometric_regression,
    gradient_descent,
    minibatch_gradient_descent,
    stochastic_gradient_descent,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # core math
    "ACTIVATIONS", "Activation", "get_activation", "sigmoid",
    "softmax", "log_softmax", "logsumexp", "softmax_jacobian", "softmax_vjp", "cross_entropy",
    "LINKS", "Link", "get_link",
    "FAMILIES", "Family", "get_family", "Gaussian", "Binomial", "Bernoulli", "Poisson", "Gamma",
    "InverseGaussian", "NegativeBinomialFamily", "Tweedie", "Categorical", "one_hot",
    "LOSSES", "Loss", "get_loss", "SquaredError", "AbsoluteError", "Huber",
    # solvers
    "irls", "ConvergenceWarning", "gradient_descent", "stochastic_gradient_descent",
    "minibatch_gradient_descent", "geometric_regression",
    # estimators
    "LinearRegression", "BasisExpansion", "GLM", "NegativeBinomial", "LogisticRegression",
    "SoftmaxRegression", "GAM", "RandomForestRegressor", "RandomForestClassifier",
    "MLPRegressor", "MLPClassifier", "Perceptron",
    "ErrorsInVariablesRegression", "BayesianGLM",
    # networks and inference
    "Sequential", "build_network", "check_gradients", "coef_table", "anova",
]
