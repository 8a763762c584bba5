"""Settings package of the asset inspector demo project."""
