"""Benchmark of the asset inspector against a synthetic project (see run.py)."""
