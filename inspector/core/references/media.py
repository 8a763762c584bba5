"""Form media in Python source, read with ``ast`` and never imported.

``class Media:`` bodies (of forms, widgets, model admins) and ``Media(...)`` calls
(``forms.Media(js=[...])``) name static files in ``js`` and ``css``: a list or tuple of names,
``css`` a dict of them by medium. Only literal strings count (and ``Script("x.js", ...)``
objects' first argument); a computed name is left alone. Django renders a name that starts with
``/``, ``http://`` or ``https://`` as it is, and any other through ``static()``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..paths import file_of_name, path_of_url
from ..status import ReferenceKind
from .model import Extracted, Found, StaticNames


def extract_media(source: str, names: StaticNames) -> Extracted:
    """Return the static names the form media of one Python module's ``source`` list."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return Extracted((), ((line, f"cannot parse this Python module: {exc}"),))
    found = [_found(name, line, names) for name, line in _media_names(tree)]
    return Extracted(tuple(sorted(found, key=lambda f: f.line)))


def _found(name: str, line: int, names: StaticNames) -> Found:
    if name.startswith(("http://", "https://", "/")):
        # Rendered as written: a static URL here bypasses the storage like a hardcoded one.
        path = path_of_url(name, names.url_prefixes)
        kind = ReferenceKind.HARDCODED_URL if path is not None else ReferenceKind.FORM_MEDIA
        return Found(kind, line, name, path)
    return Found(ReferenceKind.FORM_MEDIA, line, name, file_of_name(name, hashing=names.hashing))


def _media_names(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Media":
            for statement in node.body:
                targets: list[ast.expr] = []
                if isinstance(statement, ast.Assign):
                    targets, value = statement.targets, statement.value
                elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                    targets, value = [statement.target], statement.value
                for target in targets:
                    if isinstance(target, ast.Name) and target.id in ("js", "css"):
                        yield from _literals(value)
        elif isinstance(node, ast.Call) and _called(node.func) == "Media":
            # Media(media=None, css=None, js=None): positions 1 and 2, or keywords.
            for argument in node.args[1:3]:
                yield from _literals(argument)
            for keyword in node.keywords:
                if keyword.arg in ("js", "css"):
                    yield from _literals(keyword.value)


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literals(value: ast.expr) -> Iterator[tuple[str, int]]:
    """Yield the literal names in a ``js``/``css`` value: strings in lists, tuples, sets and
    dict values, and the first argument of ``Script(...)``-like calls."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        yield value.value, value.lineno
    elif isinstance(value, ast.List | ast.Tuple | ast.Set):
        for element in value.elts:
            yield from _literals(element)
    elif isinstance(value, ast.Dict):
        for element in value.values:
            yield from _literals(element)
    elif isinstance(value, ast.Call) and value.args:
        yield from _literals(value.args[0])
