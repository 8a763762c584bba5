"""The request-free core: sources, the collected storage, the manifest and live layers.

Nothing here imports request, template, URL, view, management or toolbar code: the web pages,
the CLI, the toolbar panel and the collection worker are thin clients of these modules.
"""
