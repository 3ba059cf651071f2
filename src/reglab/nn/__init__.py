"""reglab.nn"""
