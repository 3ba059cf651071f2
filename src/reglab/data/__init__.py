"""reglab.data"""
