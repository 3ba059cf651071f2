"""reglab.models"""
