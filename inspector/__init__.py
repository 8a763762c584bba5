"""The asset inspector: which static file wins, what it hides, and what production serves."""
