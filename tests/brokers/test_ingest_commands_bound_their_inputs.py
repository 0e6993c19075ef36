"""Items 7 and 8: ingest_alerts and ingest_gcn refuse a file above the size limit before reading
it (the quarantine keeps its first bytes and its hash), go on with the next file, name each
refused file with its reason on stderr and exit non-zero; a random file is named with "not
an Avro container"; a truncated sky-map FITS is quarantined, not attached to the event."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from brokers.fink.files import QUARANTINE_PREFIX_BYTES
from brokers.models import QuarantinedAlert
from gcn import notices as gn
from gcn.models import GcnEvent, GcnQuarantine, Localization


def _run(command, *args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), str(failed.value)


@pytest.mark.django_db
def test_ingest_alerts_refuses_a_big_file_and_reads_the_next(ztf_file, tmp_path):
    big = tmp_path / "big.avro"
    big.write_bytes(b"Obj\x01" + b"\x00" * 3_000_000)
    noise = tmp_path / "noise.avro"
    noise.write_bytes(b"random bytes, not Avro at all" * 10)
    out, err, failed = _run(
        "ingest_alerts", "--survey", "ztf", "--max-file-bytes", "2000000",
        str(big), str(noise), str(ztf_file),
    )  # fmt: skip
    assert '"ingested": 31' in out.splitlines()[-1]
    assert f"{big}: too_large" in err
    assert f"{noise}: undecodable" in err and "not an Avro container" in err
    assert "quarantined" in failed
    row = QuarantinedAlert.objects.get(reason="too_large")
    assert len(bytes(row.raw)) == QUARANTINE_PREFIX_BYTES and "sha256" in row.detail
    assert "--max-file-bytes" in call_command_help("ingest_alerts")


def call_command_help(name: str) -> str:
    from django.core.management import load_command_class

    command = load_command_class("brokers" if name == "ingest_alerts" else "gcn", name)
    return command.create_parser("manage.py", name).format_help()


@pytest.mark.django_db
def test_ingest_gcn_refuses_a_big_file_and_a_truncated_map(shared_data, tmp_path, monkeypatch):
    monkeypatch.setattr(gn, "MAX_NOTICE_BYTES", 1_000_000)
    big = tmp_path / "a-big.json"
    big.write_bytes(b"{" + b" " * 2_000_000 + b"}")
    fits = (shared_data / "lvk" / "bayestar.multiorder.fits").read_bytes()
    truncated = tmp_path / "b-truncated.fits"
    truncated.write_bytes(fits[: len(fits) // 2])
    real = shared_data / "lvk" / "MS181101ab-2-Preliminary.xml"
    out, err, failed = _run("ingest_gcn", str(big), str(truncated), str(real), "--no-crossmatch")
    assert '"ingested": 1' in out.splitlines()[-1]
    assert f"{big}: quarantined (too_large)" in err
    assert f"{truncated}: quarantined (" in err
    assert "exit" not in failed and "quarantined" in failed
    row = GcnQuarantine.objects.get(reason="too_large")
    assert row.size == big.stat().st_size and len(bytes(row.raw)) < row.size
    assert GcnEvent.objects.count() == 1
    assert not Localization.objects.filter(status=Localization.Status.FAILED).exists()
    assert "Exit status 1" in call_command_help("ingest_gcn")
