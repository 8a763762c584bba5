"""The django-debug-toolbar panel: ``inspector.panels.AssetsPanel``.

``panel`` is the panel itself, ``usage`` records what one request used, and ``data`` says which
layers a request is answered from.
"""

from .panel import AssetsPanel

__all__ = ["AssetsPanel"]
