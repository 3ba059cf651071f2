"""reglab.solvers"""
