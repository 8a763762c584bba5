"""Theme app: overrides some of the admin's static files (the planted conflicts)."""
