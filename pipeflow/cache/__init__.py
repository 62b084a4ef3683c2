"""Fingerprints of code and values, and the cache keys built from them."""
