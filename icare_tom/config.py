"""YAML configuration files of the long-running services (stream consumers, listeners).

Values may name environment variables as ``${NAME}`` (required) or ``${NAME:-default}``
(used when ``NAME`` is unset), so secrets never need to live in the file. Every problem
is a :class:`ConfigError` whose message names the file and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ConfigError", "expand", "load_mapping", "read_yaml"]

_PLACEHOLDER = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message says where and why."""


def expand(value: Any, where: str, environ: Mapping[str, str] | None = None) -> Any:
    """``value`` with every ``${NAME}``/``${NAME:-default}`` in its strings replaced,
    through lists and mappings; ``where`` names the value in error messages."""
    environ = os.environ if environ is None else environ
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group("name"), match.group("default")
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where}: environment variable {name} is not set")

        return _PLACEHOLDER.sub(substitute, value)
    if isinstance(value, list):
        return [expand(item, f"{where}[{i}]", environ) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: expand(item, f"{where}.{key}", environ) for key, item in value.items()}
    return value


def read_yaml(path: str | Path) -> Any:
    """The decoded YAML document at ``path`` (placeholders not expanded yet)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot read the configuration file ({error.strerror})"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None


def load_mapping(path: str | Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The mapping in the YAML file at ``path``, placeholders expanded."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    return {key: expand(value, f"{path}: {key}", environ) for key, value in data.items()}
