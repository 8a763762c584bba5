"""The settings that decide how a static path resolves, as the overview shows them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .sources import collect_ignore_patterns


@dataclass(frozen=True, slots=True)
class SettingFact:
    name: str
    values: tuple[str, ...]
    note: str = ""


def resolution_settings(script_prefix: str = "/") -> list[SettingFact]:
    """Return the finders, folders, storage and URLs that static paths resolve through, for a
    request under ``script_prefix`` (FORCE_SCRIPT_NAME or the server's SCRIPT_NAME)."""
    storage = settings.STORAGES.get("staticfiles", {})
    script_prefix = script_prefix.rstrip("/") + "/"
    # Django prefixes a relative STATIC_URL with the script prefix when the setting is first read.
    static_url = settings.STATIC_URL or ""
    if script_prefix == "/":
        url_note = "every {% static %} URL starts with this"
    elif static_url.startswith(script_prefix):
        url_note = f"includes the script prefix {script_prefix} (FORCE_SCRIPT_NAME or SCRIPT_NAME)"
    else:
        url_note = (
            f"does not include this request's script prefix {script_prefix}: "
            "an absolute STATIC_URL is used as it is"
        )
    return [
        SettingFact(
            "STATICFILES_FINDERS", tuple(settings.STATICFILES_FINDERS), "in precedence order"
        ),
        SettingFact(
            "STATICFILES_DIRS",
            tuple(_describe_dir(entry) for entry in settings.STATICFILES_DIRS),
            "searched in this order by FileSystemFinder",
        ),
        SettingFact(
            "STORAGES['staticfiles']",
            (str(storage.get("BACKEND", "(not set)")),),
            _options_note(storage.get("OPTIONS")),
        ),
        SettingFact("STATIC_ROOT", (str(settings.STATIC_ROOT or "(not set)"),)),
        SettingFact("STATIC_URL", (str(without_userinfo(static_url)) or "(not set)",), url_note),
        SettingFact(
            "FORCE_SCRIPT_NAME",
            (str(settings.FORCE_SCRIPT_NAME),),
            f"script prefix of this request: {script_prefix}",
        ),
        SettingFact(
            "collectstatic ignores",
            tuple(collect_ignore_patterns()),
            "files matching these are served in development and never collected",
        ),
    ]


def _describe_dir(entry: object) -> str:
    if isinstance(entry, list | tuple) and len(entry) == 2:
        prefix, root = entry
        return f"{prefix}/ → {root}"
    return str(entry)


# Storage options shown with their values; any other option (credentials among them) shows its
# name only.
_SHOWN_OPTIONS = frozenset(
    {
        "base_url",
        "bucket_name",
        "custom_domain",
        "endpoint_url",
        "location",
        "manifest_name",
        "manifest_strict",
        "region_name",
    }
)


def _options_note(options: object) -> str:
    if not isinstance(options, dict) or not options:
        return ""
    described = (
        f"{key}={without_userinfo(value)!r}" if key in _SHOWN_OPTIONS else f"{key}=…"
        for key, value in options.items()
    )
    return "OPTIONS: " + ", ".join(described)


def without_userinfo(value: object) -> object:
    """Return a URL or domain with any ``user:password@`` replaced by ``…@``; anything else
    as it is."""
    if not isinstance(value, str) or "@" not in value:
        return value
    scheme, separator, rest = value.rpartition("://")
    # The authority ends at the first "/", "?" or "#"; its userinfo at its last "@".
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    if "@" not in authority:
        return value
    host = authority.rsplit("@", 1)[1]
    return f"{scheme}{separator}…@{host}{rest[end:]}"
