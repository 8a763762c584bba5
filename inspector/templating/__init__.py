"""The template engines read as data, for the references scan of the core.

``engines.template_folders()`` says which folders each configured engine's loaders search;
``dtl`` reads the Django template language with Django's own lexer, ``jinja`` finds ``static()``
calls in Jinja2 templates. The core never imports template code: ``apps.ready()`` hands it
``template_folders`` (``core.references.scan.use_template_folders``).
"""
