"""Collection from the dashboard: the preview (``plan``), Django's collectstatic on a private
storage (``collector``), runs seen from the web (``runs``) and inside the worker (``worker``,
through the ``tasks`` framework).
"""
