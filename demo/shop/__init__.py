"""Shop app: the demo's home page and its setup command."""
