"""The ingest's compiled helpers (``_avrodecode.pyx``, ``_pgcopy.pyx``), built by Cython
when the package is installed (``setup.py``), imported plainly here.

Where they are not built (an install without a compiler) or ``ICARE_PURE_PYTHON=1`` is
set, callers fall back to pure Python with identical results, only slower.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

__all__ = ["load_extension"]

logger = logging.getLogger(__name__)

_loaded: dict[str, ModuleType | None] = {}


def load_extension(name: str) -> ModuleType | None:
    """The compiled module ``brokers.fink.<name>``; ``None`` when it was not built or is
    disabled by ``ICARE_PURE_PYTHON``."""
    if name in _loaded:
        return _loaded[name]
    module: ModuleType | None = None
    qualified = f"brokers.fink.{name}"
    if os.environ.get("ICARE_PURE_PYTHON"):
        logger.info("%s disabled by ICARE_PURE_PYTHON", qualified)
    else:
        try:
            module = importlib.import_module(qualified)
        except ImportError as exc:
            logger.warning("%s not built (%s); using pure Python", qualified, exc)
    _loaded[name] = module
    return module
