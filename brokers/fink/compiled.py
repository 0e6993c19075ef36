"""The ingest's compiled helpers (``_avrodecode.pyx``, ``_pgcopy.pyx``), built with Cython
(a pinned dependency) into ``var/build`` on first use, a few seconds.

Where they cannot be built (no C compiler) or ``ICARE_PURE_PYTHON=1`` is set, callers
fall back to pure Python with identical results, only slower.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_extension"]

logger = logging.getLogger(__name__)

_loaded: dict[str, ModuleType | None] = {}


def _build_dir() -> Path:
    from icare_tom import embedded

    return embedded.var_dir() / "build" / f"py{sys.version_info[0]}{sys.version_info[1]}"


def load_extension(name: str) -> ModuleType | None:
    """The compiled module ``brokers.fink.<name>``, built the first time; ``None`` when
    it cannot be built or is disabled."""
    if name in _loaded:
        return _loaded[name]
    module: ModuleType | None = None
    qualified = f"brokers.fink.{name}"
    if os.environ.get("ICARE_PURE_PYTHON"):
        logger.info("%s disabled by ICARE_PURE_PYTHON", qualified)
    else:
        try:
            import pyximport

            build_dir = _build_dir()
            build_dir.mkdir(parents=True, exist_ok=True)
            importers = pyximport.install(
                build_dir=str(build_dir), language_level=3, inplace=False, pyimport=False
            )
            try:
                module = importlib.import_module(qualified)
            finally:
                pyximport.uninstall(*importers)
        except Exception as exc:  # no Cython, no compiler: the pure-Python path
            logger.warning("%s unavailable (%s: %s); using pure Python", qualified,
                           type(exc).__name__, exc)  # fmt: skip
    _loaded[name] = module
    return module
