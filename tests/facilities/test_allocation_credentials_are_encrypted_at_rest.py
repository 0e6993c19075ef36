"""Allocation credentials are stored encrypted (Fernet keyed from SECRET_KEY)."""

from __future__ import annotations

import pytest
from django.db import connection

from facilities.models import Allocation


def test_it_stores_credentials_encrypted_and_reads_them_back(allocation_a):
    allocation_a.set_credentials({"api_key": "lco-secret-token-123", "proposal": "GRANDMA2026"})
    allocation_a.save()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {Allocation._meta.db_table} WHERE id = %s", [allocation_a.pk]
        )
        raw = repr(cursor.fetchone())
    assert "lco-secret-token-123" not in raw and "GRANDMA2026" not in raw
    fresh = Allocation.objects.get(pk=allocation_a.pk)
    assert fresh.get_credentials()["api_key"] == "lco-secret-token-123"
    assert fresh.has_credentials


def test_it_keeps_old_credentials_readable_after_a_key_rotation(allocation_a, settings):
    allocation_a.set_credentials({"api_key": "k1"})
    allocation_a.save()
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key", [old]
    assert Allocation.objects.get(pk=allocation_a.pk).get_credentials() == {"api_key": "k1"}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Allocation.objects.get(pk=allocation_a.pk).get_credentials()
