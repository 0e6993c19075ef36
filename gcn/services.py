"""The GCN app's entry points, for commands, tasks and the listener.

Notices and events: :mod:`gcn.events`; tiles: :mod:`gcn.tiles`; sky maps
given by URL: :mod:`gcn.fetching`.
"""

from gcn.events import IngestResult, ingest_bytes, ingest_notice, quarantine
from gcn.fetching import download_map, fetch_pending_maps
from gcn.tiles import build_localization, copy_tiles, store_tiles

__all__ = [
    "IngestResult",
    "build_localization",
    "copy_tiles",
    "download_map",
    "fetch_pending_maps",
    "ingest_bytes",
    "ingest_notice",
    "quarantine",
    "store_tiles",
]
