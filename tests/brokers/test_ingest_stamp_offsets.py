"""Cutout rows point into the archived raw alert: the offset of each stamp found in the
raw bytes is the last place the stamp occurs there, as a plain search finds it."""

import os

import pytest

from brokers.fink.files import read_avro_file_with_bytes
from brokers.fink.ingest import STAMP_PROBE_BYTES, _offset_in
from brokers.fink.parsing import parse_alert


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_it_finds_every_real_stamp_where_a_plain_search_does(survey, request):
    path = request.getfixturevalue(f"{survey}_file")
    stamps = 0
    for record, raw in read_avro_file_with_bytes(path, complete=False):
        cutouts = parse_alert(record, survey).cutouts
        for kind in cutouts:
            data = cutouts.stored(kind)
            offset = _offset_in(raw, data)
            assert offset == raw.rfind(data) >= 0
            assert raw[offset : offset + len(data)] == data
            stamps += 1
    assert stamps >= 3 * 7


def test_it_handles_flat_short_repeated_and_absent_stamps():
    noise = os.urandom(5000)
    flat = bytes(3000)
    raw = noise[:1000] + flat + noise[1000:2000] + flat + bytes(10) + noise[2000:]
    assert _offset_in(raw, flat) == raw.rfind(flat)
    short = noise[100 : 100 + STAMP_PROBE_BYTES - 1]
    assert _offset_in(raw, short) == 100
    repeated = noise[1200:1800]
    twice = raw + repeated
    assert _offset_in(twice, repeated) == len(raw)
    assert _offset_in(raw, os.urandom(800)) == -1
    near_miss = bytearray(noise[2500:3500])
    near_miss[0] ^= 0xFF  # same probe (middle), different first byte
    assert _offset_in(raw, bytes(near_miss)) == -1
