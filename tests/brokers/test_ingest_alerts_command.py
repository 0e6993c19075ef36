"""``manage.py ingest_alerts`` prints one JSON line of counts, last, and fails only when no
file could be read."""

import json

import pytest
from django.core.management import CommandError, call_command

from sources.models import Filter


def run(*args, capsys):
    try:
        call_command("ingest_alerts", *args)
    except CommandError as error:  # exit status 1: something was quarantined or unreadable
        assert "quarantined" in str(error)
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_it_prints_the_counts_as_one_json_line(ztf_file, lsst_file, group_a, capsys):
    first = run("--survey", "ztf", "--group", group_a.name, str(ztf_file), capsys=capsys)
    assert first == {
        "read": 31, "ingested": 31, "quarantined": 0, "new_targets": 31,
        "new_photometry": first["new_photometry"],
    }  # fmt: skip
    assert first["new_photometry"] > 31
    again = run("--survey", "ztf", "--group", group_a.name, str(ztf_file), capsys=capsys)
    assert again == {**first, "new_targets": 0, "new_photometry": 0}
    lsst = run("--survey", "lsst", "--topic", "fink_sn_like_lsst", str(lsst_file), capsys=capsys)
    assert (lsst["read"], lsst["new_targets"]) == (7, 7)
    assert Filter.objects.filter(topic="fink_sn_like_lsst", group__name="Fink").exists()


def test_it_goes_on_when_one_path_is_missing(ztf_file, group_a, tmp_path, capsys):
    counts = run("--survey", "ztf", str(tmp_path / "absent.avro"), str(ztf_file), capsys=capsys)
    assert counts["ingested"] == 31


def test_it_fails_when_no_file_can_be_read(db, tmp_path):
    with pytest.raises(CommandError, match="no file could be read"):
        call_command("ingest_alerts", "--survey", "lsst", str(tmp_path / "absent.avro"))
