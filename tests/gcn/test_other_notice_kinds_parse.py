"""Crafted notices for kinds without a shared sample: IceCube, AMON, SVOM, LVK, unknowns."""

import base64
import json
import math

import pytest

from gcn.notices import Ellipse, MultiOrderMap, PointError, parse_notice

ICECUBE_GOLD = b"""<?xml version='1.0' encoding='UTF-8'?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" version="2.0" role="observation"
 ivorn="ivo://nasa.gsfc.gcn/AMON#ICECUBE_ASTROTRACK_GOLD_Event2024-01-02T03:04:05.06_12_137000_012345678_0">
  <Who><Date>2024-01-02T03:05:00</Date></Who>
  <What>
    <Param name="Packet_Type" value="173" />
    <Param name="Pkt_Ser_Num" value="1" />
    <Param name="AMON_ID" value="13700012345678" />
    <Param name="run_id" value="137000" />
    <Param name="event_id" value="12345678" />
    <Param name="Energy" value="180" unit="TeV" />
    <Param name="signalness" value="0.62" />
    <Param name="FAR" value="0.35" unit="yr^-1" />
  </What>
  <WhereWhen><ObsDataLocation><ObservationLocation><AstroCoords coord_system_id="UTC-FK5-GEO">
    <Time unit="s"><TimeInstant><ISOTime>2024-01-02T03:04:05.06</ISOTime></TimeInstant></Time>
    <Position2D unit="deg"><Name1>RA</Name1><Name2>Dec</Name2>
      <Value2><C1>150.25</C1><C2>-5.5</C2></Value2><Error2Radius>0.75</Error2Radius>
    </Position2D>
  </AstroCoords></ObservationLocation></ObsDataLocation></WhereWhen>
</voe:VOEvent>"""

UNKNOWN_VOEVENT = b"""<?xml version='1.0'?>
<voe:VOEvent xmlns:voe="http://www.ivoa.net/xml/VOEvent/v2.0" version="2.0" role="observation"
 ivorn="ivo://nasa.gsfc.gcn/MAXI#Unknown_Thing_2024-01-02">
  <What><Param name="Packet_Type" value="999" /></What>
  <WhereWhen><ObsDataLocation><ObservationLocation><AstroCoords coord_system_id="UTC-FK5-GEO">
    <Time unit="s"><TimeInstant><ISOTime>2024-01-02T03:04:05</ISOTime></TimeInstant></Time>
  </AstroCoords></ObservationLocation></ObsDataLocation></WhereWhen>
</voe:VOEvent>"""


def test_it_parses_an_icecube_gold_track_with_far_in_hz():
    n = parse_notice(ICECUBE_GOLD)
    assert (n.source, n.notice_type) == ("IceCube", "ICECUBE_ASTROTRACK_GOLD")
    assert set(n.tags) == {"IceCube", "Neutrino", "Gold"}
    assert n.aliases == ("IceCube#137000_12345678",)
    assert n.properties["signalness"] == pytest.approx(0.62)
    assert n.properties["FAR"] == pytest.approx(0.35 / (365.25 * 86400))
    assert n.localization == PointError(
        150.25, -5.5, 0.75, 0.9, None, name="IceCube-ICECUBE_ASTROTRACK_GOLD"
    )
    assert n.trigger_time.isoformat() == "2024-01-02T03:04:05.060000+00:00"


def test_it_parses_an_amon_coincidence_stream_by_packet_type():
    raw = ICECUBE_GOLD.replace(b'value="173"', b'value="172"').replace(
        b"ICECUBE_ASTROTRACK_GOLD", b"NuEm"
    )
    n = parse_notice(raw)
    assert (n.source, n.notice_type) == ("AMON", "NU_EM_COINC")
    assert "AMON" in n.tags and "Gold" not in n.tags


def test_it_keeps_an_unknown_voevent_raw_instead_of_failing():
    n = parse_notice(UNKNOWN_VOEVENT)
    assert n.notice_type == "unknown"
    assert n.source == "MAXI"
    assert n.raw == UNKNOWN_VOEVENT
    assert n.ivorn == "ivo://nasa.gsfc.gcn/MAXI#Unknown_Thing_2024-01-02"
    assert n.trigger_time is not None


def test_it_keeps_an_unknown_json_object_raw():
    raw = json.dumps({"hello": "world", "trigger_time": "2024-05-06T07:08:09Z"}).encode()
    n = parse_notice(raw)
    assert n.notice_type == "unknown" and n.raw == raw
    assert n.trigger_time.year == 2024


def test_it_parses_a_svom_eclairs_alert():
    raw = json.dumps(
        {
            "$schema": "https://gcn.nasa.gov/schema/main/gcn/notices/svom/alert.schema.json",
            "instrument": "ECLAIRs",
            "alert_datetime": "2024-02-22T08:51:55",
            "alert_tense": "test",
            "alert_type": "initial",
            "id": ["sb24022203"],
            "trigger_time": "2024-02-22T08:51:31.320000",
            "ra": 143.25,
            "dec": -68.03,
            "ra_dec_error": 0.1,
        }
    ).encode()
    n = parse_notice(raw)
    assert (n.source, n.notice_type) == ("SVOM", "ECLAIRs alert")
    assert set(n.tags) == {"SVOM", "ECLAIRs", "GRB"}
    assert n.aliases == ("SVOM#sb24022203",)
    assert n.is_test
    assert n.localization.containment == 0.9  # schema default


def test_it_reads_an_error_ellipse_from_a_unified_notice():
    raw = json.dumps(
        {
            "$schema": "https://gcn.nasa.gov/schema/main/gcn/notices/einstein_probe/fxt/alert.schema.json",
            "instrument": "FXT",
            "trigger_time": "2024-03-01T21:46:05Z",
            "ra": 10.0,
            "dec": 20.0,
            "position_a_error": 0.3,
            "position_b_error": 0.1,
            "position_error_pa": 45,
            "containment_probability": 0.68,
        }
    ).encode()
    n = parse_notice(raw)
    assert n.localization == Ellipse(10.0, 20.0, 0.3, 0.1, 45.0, 0.68)


def _moc_b64():
    import io

    import numpy as np
    from astropy.io import fits

    uniq = np.arange(16, 64, dtype=np.int64)
    hdu = fits.BinTableHDU.from_columns(
        [
            fits.Column("UNIQ", "K", array=uniq),
            fits.Column("PROBDENSITY", "D", array=np.full(48, 1 / (4 * math.pi))),
        ]
    )
    hdu.header["ORDERING"] = "NUNIQ"
    buf = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buf)
    return base64.b64encode(buf.getvalue()).decode()


def test_it_parses_an_lvk_early_warning_with_an_external_coincidence():
    sky = _moc_b64()
    raw = json.dumps(
        {
            "alert_type": "EARLYWARNING",
            "time_created": "2023-05-01T00:00:10Z",
            "superevent_id": "S230501a",
            "urls": {"gracedb": "https://example.org/S230501a"},
            "event": {
                "time": "2023-05-01T00:00:00Z",
                "far": 1e-6,
                "significant": False,
                "instruments": ["H1", "L1"],
                "group": "CBC",
                "pipeline": "gstlal",
                "search": "EarlyWarning",
                "classification": {"BNS": 0.2, "NSBH": 0.5, "BBH": 0.1, "Terrestrial": 0.2},
                "properties": {"HasNS": 0.9, "HasRemnant": 0.1},
                "skymap": sky,
            },
            "external_coinc": {
                "gcn_notice_id": 123,
                "ivorn": "ivo://nasa.gsfc.gcn/Fermi#GBM_Alert",
                "observatory": "Fermi",
                "search": "GRB",
                "time_difference": -1.5,
                "time_coincidence_far": 1e-7,
                "time_sky_position_coincidence_far": 1e-9,
                "combined_skymap": sky,
            },
        }
    ).encode()
    n = parse_notice(raw)
    assert n.notice_type == "EarlyWarning"
    assert n.significant is False
    assert set(n.tags) == {"GW", "LVK", "NSBH", "HasNS", "subthreshold", "Fermi", "Coincidence"}
    assert n.properties["external_time_difference"] == -1.5
    assert len(n.localizations) == 2
    assert all(isinstance(spec, MultiOrderMap) for spec in n.localizations)
    assert n.localizations[1].name.endswith("combined.multiorder.fits")
