"""The served layer: what an HTTP client really gets from ``STATIC_URL``.

``probe`` does the HTTP (standard library only, no Django); ``targets`` asks the layers which
URL to request for each path and keeps the results.
"""
