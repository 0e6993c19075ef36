"""Walk the URL resolver and build a concrete URL for every pattern.

Each pattern's parameters are filled with the id or name of an object owned by group A, so
a pattern added later by any app is covered without touching the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize


@dataclass(frozen=True)
class WalkedPattern:
    regex: str  # the full pattern, for messages and the exclusion list
    name: str | None
    callback: object


def _strip(regex: str) -> str:
    return regex.removeprefix("^")


def walk(resolver: URLResolver | None = None, prefix: str = "") -> list[WalkedPattern]:
    resolver = resolver or get_resolver()
    found: list[WalkedPattern] = []
    for entry in resolver.url_patterns:
        part = _strip(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            found.extend(walk(entry, prefix + part))
        elif isinstance(entry, URLPattern):
            found.append(WalkedPattern(prefix + part, entry.name, entry.callback))
    return found


def _full_regex(pattern: str) -> re.Pattern:
    body = pattern.replace(r"\Z", "").replace("$", "")
    return re.compile("^" + body + "$")


def build_url(pattern: WalkedPattern, candidates: dict[str, list[str]]) -> str | None:
    """A path matching ``pattern`` with its parameters filled from ``candidates``.

    ``candidates`` maps "int" / "str" to ordered values; a parameter named like a name or
    slug tries the string values first; ``candidates["by_param"]`` maps a word of a
    parameter's name (``token``, ``format``) to values tried before all others.
    None when no combination matches the pattern.
    """
    regex = _full_regex(pattern.regex)
    for template, params in normalize(pattern.regex.replace(r"\Z", "").replace("$", "")):
        values: dict[str, str] = {}
        for param in params:
            lowered = param.lower()
            wants_text = any(word in lowered for word in ("name", "slug", "token", "path"))
            order = (
                candidates["str"] + candidates["int"]
                if wants_text
                else candidates["int"] + candidates["str"]
            )
            for word, values_for_word in candidates.get("by_param", {}).items():
                if word in lowered:
                    order = values_for_word + order
            values[param] = next(
                (value for value in order if _fits(regex, template, values, param, value)),
                order[0],
            )
        path = "/" + (template % values)
        if regex.match(path[1:]):
            return path
    return None


def _fits(regex: re.Pattern, template: str, known: dict, param: str, value: str) -> bool:
    """Whether this value keeps the pattern matchable (others filled with a placeholder)."""
    trial = dict.fromkeys(re.findall(r"%\((\w+)\)s", template), "1")
    trial.update(known)
    trial[param] = value
    return regex.match(template % trial) is not None
