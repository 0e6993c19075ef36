"""Allocation credentials encrypted at rest (Fernet, keyed from SECRET_KEY).

The key is derived from ``SECRET_KEY`` (and ``SECRET_KEY_FALLBACKS`` for reading, so a key
rotation keeps old credentials readable until they are re-entered).
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_CONTEXT = b"icare-tom allocation credentials v1\x00"


def _fernet(secret: str) -> Fernet:
    digest = hashlib.sha256(_CONTEXT + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(s) for s in secrets])


def encrypt_json(values: dict) -> str:
    return _keys().encrypt(json.dumps(values, sort_keys=True).encode()).decode("ascii")


def decrypt_json(token: str) -> dict:
    try:
        return json.loads(_keys().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError) as exc:
        raise ValueError("credentials cannot be decrypted with the current SECRET_KEY") from exc
