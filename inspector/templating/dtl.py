"""Static references in the Django template language, read with Django's own lexer.

A ``{% static %}`` tag counts where the name ``static`` means ``django.templatetags.static``'s tag
at that point of the template: a builtin, or loaded before it by ``{% load static %}`` (or
``{% load static from static %}``); a tag of the same name from another library is not ours.
A quoted literal is a ``static-tag``; a variable, a filter or a translation is ``static-dynamic``.
``{{ STATIC_URL }}`` or ``{% get_static_prefix %}`` right before a name is a ``static-url``; a
literal URL under ``STATIC_URL`` in the page's text is a ``hardcoded-url``. Comments, both
template (``{# #}``, ``{% comment %}``) and HTML (``<!-- -->``), hold no reference.

Syntax errors are found by compiling the template with its engine (without rendering it): each
is a problem of the scan with its line, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from django.template import Engine, Origin, Template, TemplateSyntaxError
from django.template.base import Lexer, Token, TokenType
from django.templatetags.static import do_static, get_static_prefix
from django.utils.text import unescape_string_literal

from ..core.paths import file_of_name, path_of_url
from ..core.references.model import Extracted, Found, LineIndex, StaticNames
from ..core.references.urls import find_static_urls
from ..core.status import ReferenceKind

_OURS: dict[str, object] = {"static": do_static, "get_static_prefix": get_static_prefix}
_QUOTED = re.compile(r"""^(?:"[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*')$""")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# What may follow {{ STATIC_URL }} as a file name.
_NAME = re.compile(r"[^\s\"'<>()`\\{]+")


class DjangoTemplates:
    """The extractor of one ``DjangoTemplates`` engine (its builtins and libraries)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Before any {% load %}: ours unless a builtin library binds the name to another tag (a
        # name bound to nothing yet is counted too: compiling reports the missing load).
        self.initial = {"static": True, "get_static_prefix": True}
        for library in engine.template_builtins:
            self._bind(library.tags, list(self.initial), self.initial)

    def __call__(self, text: str, names: StaticNames, name: str) -> Extracted:
        found = list(self._references(Lexer(text).tokenize(), names))
        return Extracted(tuple(found), tuple(self._syntax_errors(text, name)))

    def _syntax_errors(self, text: str, name: str) -> Iterator[tuple[int | None, str]]:
        # Named as its loader names it: {% extends "./base.html" %} resolves against the name.
        origin = Origin(name=name, template_name=name)
        try:
            Template(text, origin=origin, name=name, engine=self.engine)
        except TemplateSyntaxError as exc:
            token = getattr(exc, "token", None)
            yield getattr(token, "lineno", None), f"template syntax error: {exc}"
        except Exception as exc:  # a custom tag's own bug: the template cannot compile either
            yield None, f"the template does not compile: {exc!r}"

    @staticmethod
    def _bind(tags: Mapping[str, object], wanted: list[str], mine: dict[str, bool]) -> None:
        for name in wanted:
            if name in tags and name in mine:
                mine[name] = tags[name] is _OURS[name]

    def _loads(self, bits: list[str], mine: dict[str, bool]) -> None:
        """Record what ``{% load ... %}`` binds ``static`` and ``get_static_prefix`` to."""
        libraries = self.engine.template_libraries
        if len(bits) >= 4 and bits[-2] == "from":
            library = libraries.get(bits[-1])
            if library is not None:
                self._bind(library.tags, bits[1:-2], mine)
            return
        for label in bits[1:]:
            loaded = libraries.get(label)
            if loaded is not None:
                self._bind(loaded.tags, list(mine), mine)

    def _references(self, tokens: list[Token], names: StaticNames) -> Iterator[Found]:
        mine = dict(self.initial)
        in_comment = False
        for index, token in enumerate(tokens):
            kind = token.token_type
            if kind == TokenType.BLOCK:
                bits = token.split_contents()
                if not bits:
                    continue
                if in_comment:
                    in_comment = bits[0] != "endcomment"
                elif bits[0] == "comment":
                    in_comment = True
                elif bits[0] == "load":
                    self._loads(bits, mine)
                elif bits[0] == "static" and mine["static"] and len(bits) >= 2:
                    yield _static_tag(bits[1], _line(token), names)
                elif bits == ["get_static_prefix"] and mine["get_static_prefix"]:
                    yield from _prefixed(token, tokens[index + 1 : index + 2], names)
            elif in_comment:
                continue
            elif kind == TokenType.VAR:
                if token.contents.split("|", 1)[0].strip() == "STATIC_URL":
                    yield from _prefixed(token, tokens[index + 1 : index + 2], names)
            elif kind == TokenType.TEXT:
                yield from _hardcoded(token, tokens[index + 1 : index + 2], names)


def _line(token: Token) -> int:
    return token.lineno or 1  # the lexer numbers every token


def _static_tag(argument: str, line: int, names: StaticNames) -> Found:
    if _QUOTED.match(argument):
        name = unescape_string_literal(argument)
        path = file_of_name(name, hashing=names.hashing) or None
        return Found(ReferenceKind.STATIC_TAG, line, name, path)
    return Found(ReferenceKind.STATIC_DYNAMIC, line, argument, None)


def _prefixed(token: Token, following: list[Token], names: StaticNames) -> Iterator[Found]:
    """``{{ STATIC_URL }}name``: the name is the text right after it, if any."""
    written = (
        f"{{{{ {token.contents} }}}}"
        if token.token_type == TokenType.VAR
        else f"{{% {token.contents} %}}"
    )
    nxt = following[0] if following else None
    match = (
        _NAME.match(nxt.contents) if nxt is not None and nxt.token_type == TokenType.TEXT else None
    )
    if match is None:
        yield Found(ReferenceKind.STATIC_URL, _line(token), written + "…", None)
        return
    name = match.group(0)
    path = path_of_url(names.static_url + name, (names.static_url,)) if names.static_url else name
    yield Found(ReferenceKind.STATIC_URL, _line(token), written + name, path)


def _hardcoded(token: Token, following: list[Token], names: StaticNames) -> Iterator[Found]:
    text = token.contents
    if not any(prefix in text for prefix in names.url_prefixes):
        return
    comments = [(m.start(), m.end()) for m in _HTML_COMMENT.finditer(text)]
    lines = LineIndex(text)
    for offset, url, path in find_static_urls(text, names):
        if any(start <= offset < end for start, end in comments):
            continue
        line = _line(token) + lines.of(offset) - 1
        if path is None:
            # "/static/{{ name }}": a URL built around the storage.
            nxt = following[0] if following else None
            if (
                offset + len(url) == len(text)
                and nxt is not None
                and nxt.token_type != TokenType.TEXT
            ):
                yield Found(ReferenceKind.HARDCODED_URL, line, url + "…", None)
            continue
        yield Found(ReferenceKind.HARDCODED_URL, line, url, path)
