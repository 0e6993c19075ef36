"""Every rejection reason is reachable with a crafted bad input, and nothing else escapes."""

import base64
import gzip
import io
import json

import fastavro
import pytest

from gcn import notices
from gcn.notices import NoticeRejected, parse_notice

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" ivorn="ivo://x#y">
<What><Param name="Packet_Type" value="&lol4;"/></What></voe:VOEvent>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0"><What>&xxe;</What></voe:VOEvent>"""


def reason(raw: bytes, hint=None) -> str:
    with pytest.raises(NoticeRejected) as exc:
        parse_notice(raw, hint)
    return exc.value.reason


def lvk_alert(skymap) -> bytes:
    return json.dumps(
        {
            "alert_type": "PRELIMINARY",
            "time_created": "2018-11-01T22:34:49Z",
            "superevent_id": "S181101ab",
            "event": {
                "time": "2018-11-01T22:22:46.654Z",
                "far": 1e-10,
                "significant": True,
                "skymap": skymap,
            },
            "external_coinc": None,
        }
    ).encode()


def small_moc_fits() -> bytes:
    import numpy as np
    from astropy.io import fits

    uniq = np.arange(4 * 4**1, 4 * 4**1 + 48, dtype=np.int64)  # all order-1 pixels
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


def test_it_forbids_entity_expansion_billion_laughs():
    assert reason(BILLION_LAUGHS) == "xml_entities_forbidden"


def test_it_forbids_external_entities():
    assert reason(EXTERNAL_ENTITY) == "xml_entities_forbidden"


def test_it_rejects_malformed_xml():
    assert reason(b"<voe:VOEvent xmlns:voe='x'><What></voe:VOEvent>") == "malformed_xml"


def test_it_rejects_xml_that_is_not_a_voevent():
    assert reason(b"<html><body>hi</body></html>") == "not_a_notice"


def test_it_rejects_bad_base64_in_an_lvk_alert():
    assert reason(lvk_alert("this is *not* base64!!")) == "bad_base64"


def test_it_rejects_a_truncated_fits_sky_map():
    data = small_moc_fits()
    assert parse_notice(lvk_alert(base64.b64encode(data).decode())).localization is not None
    cut = base64.b64encode(data[: len(data) // 2 + 7]).decode()
    assert reason(lvk_alert(cut)) == "truncated_fits"


def test_it_rejects_a_sky_map_that_is_not_fits():
    junk = base64.b64encode(b"GIF89a" + b"\0" * 100).decode()
    assert reason(lvk_alert(junk)) == "truncated_fits"


def test_it_rejects_huge_input():
    raw = b"{" + b" " * notices.MAX_NOTICE_BYTES + b"}"
    assert reason(raw) == "too_large"


def test_it_rejects_a_gzip_bomb_inside_a_unified_notice():
    bomb = gzip.compress(b"\0" * (notices.MAX_NOTICE_BYTES + 10), compresslevel=9)
    raw = json.dumps(
        {
            "$schema": "https://gcn.nasa.gov/schema/main/gcn/notices/swift/bat/Guano.schema.json",
            "trigger_time": "2022-12-31T21:46:05.13Z",
            "healpix_file": base64.b64encode(bomb).decode(),
        }
    ).encode()
    assert len(raw) < notices.MAX_NOTICE_BYTES
    assert reason(raw) == "too_large"


@pytest.mark.parametrize(
    "raw", [b"\x00\x01\x02garbage", b"", b"   ", b"hello world", b"\x89PNG\r\n\x1a\n"]
)
def test_it_rejects_garbage_as_not_a_notice(raw):
    assert reason(raw) == "not_a_notice"


def test_it_rejects_malformed_json():
    assert reason(b'{"alert_type": "PRELIMINARY", ') == "malformed_json"
    assert reason(b'{"a": "\xff\xfe"}') == "malformed_json"


def test_it_rejects_json_that_is_not_an_object():
    assert reason(b"[1, 2, 3]") == "not_a_notice"


def test_it_rejects_a_corrupt_avro_container():
    assert reason(b"Obj\x01" + b"\xff" * 64) == "malformed_avro"


def test_it_rejects_an_avro_container_with_several_records(read_shared):
    reader = fastavro.reader(io.BytesIO(read_shared("lvk/MS181101ab-preliminary.avro")))
    schema = reader.writer_schema
    rec = next(iter(reader))
    buf = io.BytesIO()
    fastavro.writer(buf, schema, [rec, rec])
    assert reason(buf.getvalue()) == "multiple_records"


def test_it_only_uses_known_reason_codes():
    with pytest.raises(ValueError):
        NoticeRejected("something_else")
