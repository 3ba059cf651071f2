"""reglab.viz"""
