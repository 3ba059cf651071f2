"""Bayesian models on NumPyro (optional extra ``reglab[bayes]``)."""
