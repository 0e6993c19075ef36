"""Every rejection reason through ingest_gcn: quarantined with reason and raw bytes."""

import base64
import io
import json
from io import StringIO

import fastavro
import pytest
from django.core.management import CommandError, call_command

from gcn import events, notices
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" ivorn="ivo://x#y">
<What><Param name="Packet_Type" value="&lol3;"/></What></voe:VOEvent>"""


def lvk_alert(skymap: str) -> bytes:
    return json.dumps(
        {
            "alert_type": "PRELIMINARY",
            "time_created": "2018-11-01T22:34:49Z",
            "superevent_id": "S181101zz",
            "event": {"time": "2018-11-01T22:22:46.654Z", "far": 1e-10, "skymap": skymap},
            "external_coinc": None,
        }
    ).encode()


def small_moc_fits() -> bytes:
    import numpy as np
    from astropy.io import fits

    uniq = np.arange(16, 64, dtype=np.int64)  # the 48 order-1 pixels
    table = fits.BinTableHDU.from_columns(
        [
            fits.Column("UNIQ", "K", array=uniq),
            fits.Column("PROBDENSITY", "D", array=np.full(48, 1 / (4 * np.pi))),
        ]
    )
    table.header["ORDERING"] = "NUNIQ"
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(buf)
    return buf.getvalue()


def two_record_avro(read_shared) -> bytes:
    reader = fastavro.reader(io.BytesIO(read_shared("lvk/MS181101ab-preliminary.avro")))
    rec = next(iter(reader))
    buf = io.BytesIO()
    fastavro.writer(buf, reader.writer_schema, [rec, rec])
    return buf.getvalue()


def cases(read_shared):
    fits_bytes = small_moc_fits()
    return {
        "too_large.json": (b"{" + b" " * notices.MAX_NOTICE_BYTES + b"}", "too_large"),
        "garbage.bin": (b"\x00\x01\x02garbage", "not_a_notice"),
        "page.xml": (b"<html><body>hi</body></html>", "not_a_notice"),
        "cut.json": (b'{"alert_type": "PRELIMINARY", ', "malformed_json"),
        "cut.xml": (b"<voe:VOEvent xmlns:voe='x'><What></voe:VOEvent>", "malformed_xml"),
        "laughs.xml": (BILLION_LAUGHS, "xml_entities_forbidden"),
        "corrupt.avro": (b"Obj\x01" + b"\xff" * 64, "malformed_avro"),
        "two.avro": (two_record_avro(read_shared), "multiple_records"),
        "b64.json": (lvk_alert("this is *not* base64!!"), "bad_base64"),
        "cutmap.json": (
            lvk_alert(base64.b64encode(fits_bytes[: len(fits_bytes) // 2 + 7]).decode()),
            "truncated_fits",
        ),
        "cutmap.fits": (b"SIMPLE  =" + b" " * 71 + b"BITPIX", "truncated_fits"),
    }


@pytest.mark.django_db
def test_it_quarantines_each_bad_file_with_its_reason_and_keeps_the_good_one(tmp_path, read_shared):
    bad = cases(read_shared)
    for name, (raw, _) in bad.items():
        (tmp_path / name).write_bytes(raw)
    good = tmp_path / "zz-good.json"
    good.write_bytes(lvk_alert(base64.b64encode(small_moc_fits()).decode()))

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="quarantined"):  # exit status 1
        call_command("ingest_gcn", str(tmp_path), "--no-crossmatch", stdout=out, stderr=err)
    counts = json.loads(out.getvalue().strip().splitlines()[-1])
    assert counts == {
        "read": len(bad) + 1,
        "ingested": 1,
        "quarantined": len(bad),
        "events": 1,
        "localizations": 1,
    }
    for name, (raw, expected) in bad.items():
        row = GcnQuarantine.objects.get(origin=str(tmp_path / name))
        assert row.reason == expected, name
        # the quarantine keeps the first bytes (all of these small ones) and the full size
        assert bytes(row.raw) == raw[: events.QUARANTINE_PREFIX_BYTES] and row.size == len(raw)
        assert f"{name}: quarantined ({expected})" in err.getvalue()
    assert GcnEvent.objects.get().name == "S181101zz"


@pytest.mark.django_db
def test_it_keeps_a_notice_of_unknown_type_raw_and_lists_it(tmp_path, admin_client):
    raw = json.dumps({"hello": "world", "trigger_time": "2024-05-06T07:08:09Z"}).encode()
    (tmp_path / "mystery.json").write_bytes(raw)
    out = StringIO()
    call_command("ingest_gcn", str(tmp_path), "--no-crossmatch", stdout=out)
    notice = GcnNotice.objects.get()
    assert notice.notice_type == "unknown" and bytes(notice.raw) == raw
    assert notice.event is None and GcnEvent.objects.count() == 0  # listed, not an event
    assert GcnQuarantine.objects.count() == 0
    page = admin_client.get("/admin/gcn/gcnnotice/?notice_type=unknown", HTTP_HOST="localhost")
    assert page.status_code == 200 and notice.unique_key in page.content.decode()
    quarantine_page = admin_client.get("/admin/gcn/gcnquarantine/", HTTP_HOST="localhost")
    assert quarantine_page.status_code == 200
