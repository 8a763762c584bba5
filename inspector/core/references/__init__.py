"""References: every static path the project's templates, CSS, JS and form media point at.

``current_references(layers, max_age=...)`` gives the scan (``model.ReferenceScan``): each
reference where it is written (file and line), what it resolves to and the problem it has
against the other layers (``judging``), with the one severity rule of ``core.severity``.
``scan`` reads the files, ``assets`` CSS and JS as the manifest storage does, ``media`` Python
form media with ``ast``; templates are read outside the core (``inspector.templating``).
"""
