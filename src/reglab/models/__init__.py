"""scikit-learn estimators over reglab's core and solvers."""

from .bases import BasisExpansion
from .forest import RandomForestClassifier, RandomForestRegressor
from .gam import GAM, f, l, s, te
from .glm import GLM, NegativeBinomial
from .linear import AliasedColumnsWarning, LinearRegression
from .logistic import LogisticRegression, SoftmaxRegression
from .mlp import MLPClassifier, MLPRegressor
from .perceptron import Perceptron

__all__ = [
    "AliasedColumnsWarning", "BasisExpansion", "GAM", "GLM", "LinearRegression",
    "LogisticRegression", "MLPClassifier", "MLPRegressor", "NegativeBinomial", "Perceptron",
    "RandomForestClassifier", "RandomForestRegressor", "SoftmaxRegression", "f", "l", "s", "te",
]
