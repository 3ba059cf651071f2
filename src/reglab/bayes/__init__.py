"""Bayesian regression with measurement errors, on NumPyro (optional extra ``reglab[bayes]``).

* :class:`ErrorsInVariablesRegression` - linear regression with Gaussian errors on x and y and an
  intrinsic scatter (Kelly 2007; the lecture's M-sigma model). The latent true x is integrated out
  analytically, so NUTS samples only the global parameters.
* :class:`BayesianGLM` - gaussian / bernoulli / poisson / negative-binomial GLMs with optional
  covariate (and count) measurement errors; the de Souza et al. (2015) globular-cluster model.

Importing this package does not import JAX; the first ``fit`` does, and raises an ImportError with
install instructions when the extra is missing.
"""

from ._backend import enable_compilation_cache, use_cpu_cores
from ._mcmc import SamplingWarning
from .eiv import ErrorsInVariablesRegression
from .glm import BayesianGLM
from .priors import Prior, Priors

__all__ = [
    "ErrorsInVariablesRegression",
    "BayesianGLM",
    "Prior",
    "Priors",
    "SamplingWarning",
    "use_cpu_cores",
    "enable_compilation_cache",
]
