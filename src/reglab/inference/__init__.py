"""reglab.inference"""
