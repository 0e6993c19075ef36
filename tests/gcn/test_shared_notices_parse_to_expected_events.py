"""Every shared GCN/LVK notice parses to the expected event, aliases, tags and properties."""

from datetime import UTC, datetime

import pytest

from gcn.notices import MapURL, MultiOrderMap, NoticeRejected, PointError, parse_notice


def utc(*args):
    return datetime(*args, tzinfo=UTC)


EXPECTED = {
    "lvk/MS181101ab-preliminary.json": dict(
        source="LVK",
        notice_type="Preliminary",
        format="lvk_json",
        trigger_time=utc(2018, 11, 1, 22, 22, 46, 654000),
        aliases=("MS181101ab",),
        ivorn=None,
        significant=True,
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant", "MDC"},
        props={
            "FAR": 9.11069936486e-14,
            "BNS": 0.95,
            "NSBH": 0.01,
            "BBH": 0.03,
            "Terrestrial": 0.01,
            "HasNS": 0.95,
            "HasRemnant": 0.91,
            "HasMassGap": 0.01,
            "distmean": 39.76999609489013,
            "diststd": 8.308435058808886,
        },
        loc=MultiOrderMap,
    ),
    "lvk/MS181101ab-preliminary.avro": dict(
        source="LVK",
        notice_type="Preliminary",
        format="lvk_avro",
        trigger_time=utc(2018, 11, 1, 22, 22, 46, 654000),
        aliases=("MS181101ab",),
        ivorn=None,
        significant=True,
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant", "MDC"},
        props={"FAR": 9.11069936486e-14, "BNS": 0.95, "distmean": 39.76999609489013},
        loc=MultiOrderMap,
    ),
    "lvk/MS181101ab-2-Preliminary.xml": dict(
        source="LVK",
        notice_type="Preliminary",
        format="voevent",
        trigger_time=utc(2018, 11, 1, 22, 22, 46, 654437),
        aliases=("MS181101ab",),
        ivorn="ivo://gwnet/LVC#MS181101ab-2-Preliminary",
        significant=True,
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant", "MDC"},
        props={"FAR": 9.11069936486e-14, "BNS": 0.95, "HasMassGap": 0.01},
        loc=MapURL,
    ),
    "lvk/MS181101ab-retraction.json": dict(
        source="LVK",
        notice_type="Retraction",
        format="lvk_json",
        trigger_time=None,
        aliases=("MS181101ab",),
        ivorn=None,
        significant=None,
        tags={"GW", "LVK", "MDC"},
        props={},
        loc=None,
    ),
    "gcn/voevent/GW190425_initial.xml": dict(
        source="LVK",
        notice_type="Initial",
        format="voevent",
        trigger_time=utc(2019, 4, 25, 8, 18, 5, 17147),
        aliases=("S190425z",),
        ivorn="ivo://gwnet/LVC#S190425z-1-Initial",
        significant=True,  # inferred from FAR: O3 notices lack the flag
        tags={"GW", "LVK", "BNS", "significant", "HasNS", "HasRemnant"},
        props={"FAR": 4.53764787126e-13, "BNS": 0.999402567114, "HasNS": 1.0},
        loc=MapURL,
    ),
    "gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml": dict(
        source="Fermi",
        notice_type="GBM_Gnd_Pos",
        format="voevent",
        trigger_time=utc(2018, 1, 16, 0, 36, 52, 810000),
        aliases=("bn180116026", "Fermi#537755817"),
        ivorn="ivo://nasa.gsfc.gcn/Fermi#GBM_Gnd_Pos_2018-01-16T00:36:52.81_537755817_56-996",
        significant=None,
        tags={"Fermi", "GBM", "GRB"},
        props={"Burst_Signif": 8.6, "TrigID": 537755817},
        loc=PointError,
        point=(214.74, 28.14, 11.19, 0.68),
    ),
    "gcn/voevent/SWIFT_1125809-092.xml": dict(
        source="Swift",
        notice_type="BAT_GRB_Pos",
        format="voevent",
        trigger_time=utc(2022, 9, 30, 11, 11, 52, 120000),
        aliases=("Swift#1125809",),
        ivorn="ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_1125809-092",
        significant=None,
        tags={"Swift", "BAT", "GRB"},
        props={"Rate_Signif": 41.2, "grb_name": "GRB 220930"},
        loc=PointError,
        point=(64.7373, 13.3517, 0.05, 0.9),
    ),
    "gcn/json/einstein_probe_wxt_alert.example.json": dict(
        source="EP",
        notice_type="WXT alert",
        format="unified_json",
        trigger_time=utc(2024, 3, 1, 21, 46, 5, 130000),
        aliases=("EP#01708973486",),
        ivorn=None,
        significant=None,
        tags={"EP", "WXT"},
        props={"image_snr": 1, "net_count_rate": 1},
        loc=PointError,
        point=(120.0, 40.0, 0.02, 0.9),
    ),
    "gcn/json/fermi_gbm_trigger.ground1.example.json": dict(
        source="Fermi",
        notice_type="GBM_Gnd_Pos",
        format="unified_json",
        trigger_time=utc(2024, 8, 24, 2, 14, 40, 430000),
        aliases=("bn240812094", "Fermi#745121685"),
        ivorn=None,
        significant=None,
        tags={"Fermi", "GBM", "GRB", "Long"},
        props={"rate_snr": 16.6},
        loc=PointError,
        point=(92.17, -66.98, 1.34, 0.68),
    ),
    "gcn/json/icecube_lvk_nu_track_search.example.json": dict(
        source="IceCube",
        notice_type="IceCube LVK Alert Nu Track Search",
        format="unified_json",
        trigger_time=utc(2023, 9, 14, 11, 14, 1),
        aliases=("S230914ak",),
        ivorn=None,
        significant=None,
        tags={"IceCube", "Neutrino", "GW"},
        props={"pval_generic": 0.0191, "n_events_coincident": 2},
        loc=PointError,
        point=(17.48, 16.15, 0.5, 0.9),  # the most significant coincident neutrino
    ),
    "gcn/json/swift_bat_Guano.example.json": dict(
        source="Swift",
        notice_type="BAT-GUANO Initial",
        format="unified_json",
        trigger_time=utc(2022, 12, 31, 21, 46, 5, 130000),
        aliases=("Swift#694215995",),
        ivorn=None,
        significant=None,
        tags={"Swift", "BAT-GUANO", "GRB"},
        props={"FAR": 1e-05, "rate_snr": 15.8},
        loc=None,
    ),
}


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_it_parses_each_shared_notice_to_the_expected_event(read_shared, rel):
    raw = read_shared(rel)
    exp = EXPECTED[rel]
    n = parse_notice(raw, filename_hint=rel)
    assert n.source == exp["source"]
    assert n.notice_type == exp["notice_type"]
    assert n.format == exp["format"]
    assert n.trigger_time == exp["trigger_time"]
    assert n.aliases == exp["aliases"]
    assert n.ivorn == exp["ivorn"]
    assert n.significant is exp["significant"]
    assert set(n.tags) == exp["tags"]
    for key, val in exp["props"].items():
        assert n.properties[key] == pytest.approx(val) if isinstance(val, float) else val, key
    if exp["loc"] is None:
        assert n.localization is None
    else:
        assert isinstance(n.localization, exp["loc"])
    if "point" in exp:
        p = n.localization
        assert (p.ra_deg, p.dec_deg, p.radius_deg, p.containment) == pytest.approx(exp["point"])
    assert n.raw == raw
    assert n.content_hash == __import__("hashlib").sha256(raw).hexdigest()
    assert n.is_retraction is (exp["notice_type"] == "Retraction")


def test_it_gives_the_json_and_avro_lvk_alerts_the_same_content(read_shared):
    j = parse_notice(read_shared("lvk/MS181101ab-preliminary.json"))
    a = parse_notice(read_shared("lvk/MS181101ab-preliminary.avro"))
    assert j.localization.data == a.localization.data
    assert {k: v for k, v in j.properties.items()} == {k: v for k, v in a.properties.items()}
    assert j.content_hash != a.content_hash  # different bytes, different notices


def test_it_marks_the_lvk_retraction_and_keys_it_by_the_superevent(read_shared):
    n = parse_notice(read_shared("lvk/MS181101ab-retraction.json"))
    assert n.is_retraction
    assert n.notice_type == "Retraction"
    assert n.aliases == ("MS181101ab",)
    assert n.unique_key.startswith("sha256:")


def test_it_keeps_the_lvk_voevent_sky_map_as_a_pending_url(read_shared):
    n = parse_notice(read_shared("lvk/MS181101ab-2-Preliminary.xml"))
    assert n.localization == MapURL(
        url="https://emfollow.docs.ligo.org/userguide/_static/bayestar.multiorder.fits,0",
        name="bayestar.multiorder.fits",
    )
    assert n.is_test  # role="test" and a mock (M) superevent
    assert n.sequence == 2


def test_it_offers_the_fermi_healpix_map_url_after_the_immediate_circle(read_shared):
    n = parse_notice(read_shared("gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml"))
    assert isinstance(n.localizations[0], PointError)
    assert n.localizations[1].url.endswith("bn180116026/quicklook/glg_healpix_all_bn180116026.fit")


def test_it_quarantines_the_guano_map_example_whose_healpix_file_is_a_placeholder(read_shared):
    # The schema example carries "hhhh..." instead of base64 FITS.
    with pytest.raises(NoticeRejected) as exc:
        parse_notice(read_shared("gcn/json/swift_bat_guano.loc_map.example.json"))
    assert exc.value.reason == "bad_base64"


def test_it_is_idempotent_on_the_same_bytes(read_shared):
    raw = read_shared("gcn/voevent/SWIFT_1125809-092.xml")
    a, b = parse_notice(raw), parse_notice(raw)
    assert a.unique_key == b.unique_key == "ivo://nasa.gsfc.gcn/SWIFT#BAT_GRB_Pos_1125809-092"
    assert a.content_hash == b.content_hash
