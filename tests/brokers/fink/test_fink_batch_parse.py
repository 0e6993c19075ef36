"""A batch of alerts is normalized at once, with the same result as alert by alert, and a
bad alert in a batch is rejected alone, with the reason it gets by itself."""

import copy
import math

import pytest

from brokers.fink.errors import AlertRejected
from brokers.fink.files import read_avro_file_with_bytes
from brokers.fink.parsing import parse_alert, parse_alerts

TOPICS = {
    "ztf": ["fink_kn_candidates_ztf", "fink_sn_candidates_ztf", "fink_early_sn_candidates_ztf"],
    "lsst": ["fink_sso_lsst", "fink_extragalactic_lsst"],
}


def _alone(record, survey, topic):
    try:
        return parse_alert(record, survey, topic)
    except AlertRejected as rejection:
        return rejection


def _same(batch_result, alone):
    if isinstance(alone, AlertRejected):
        assert isinstance(batch_result, AlertRejected), batch_result
        assert (batch_result.reason, batch_result.detail) == (alone.reason, alone.detail)
        return
    assert not isinstance(batch_result, AlertRejected), batch_result
    for name in ("alert_id", "object_name", "topic", "ra", "dec", "mjd", "classification"):
        assert getattr(batch_result, name) == getattr(alone, name), name
    assert batch_result.annotations == alone.annotations
    assert tuple(batch_result.photometry) == tuple(alone.photometry)
    assert len(batch_result.photometry) > 0


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_it_parses_a_batch_exactly_as_each_alert_alone(survey, request):
    path = request.getfixturevalue(f"{survey}_file")
    records = [item[0] for item in read_avro_file_with_bytes(path, complete=False)]
    topics = [TOPICS[survey][i % len(TOPICS[survey])] for i in range(len(records))]
    batch = parse_alerts(records, survey, topics)
    assert len(batch) == len(records)
    for record, topic, result in zip(records, topics, batch, strict=True):
        _same(result, _alone(record, survey, topic))
    assert sum(len(alert.photometry) for alert in batch) == sum(
        len(parse_alert(r, survey).photometry) for r in records
    )


def _first_detection(entries):
    return next(i for i, e in enumerate(entries) if e and e.get("magpsf") is not None)


def test_it_rejects_only_the_bad_ztf_alerts_of_a_batch(ztf_records):
    records = copy.deepcopy(ztf_records)
    history = records[3]["prv_candidates"]
    history[_first_detection(history)]["fid"] = 9
    history = records[11]["prv_candidates"]
    history[_first_detection(history)]["jd"] = math.nan
    records[17]["prv_candidates"][1]["diffmaglim"] = "deep"
    records[29]["candidate"]["isdiffpos"] = "maybe"
    results = parse_alerts(records, "ztf", ["fink_sn_candidates_ztf"] * len(records))
    reasons = {i: r.reason for i, r in enumerate(results) if isinstance(r, AlertRejected)}
    assert reasons == {
        3: "bad_value:prv_candidates.fid",
        11: "bad_value:prv_candidates.jd",
        17: "bad_value:TypeError",
        29: "bad_value:candidate.isdiffpos",
    }
    for record, result in zip(records, results, strict=True):
        _same(result, _alone(record, "ztf", "fink_sn_candidates_ztf"))


def test_it_rejects_only_the_bad_lsst_alerts_of_a_batch(lsst_records):
    records = copy.deepcopy(lsst_records)
    records[1]["prvDiaSources"][3]["band"] = "q"
    records[4]["diaSource"]["midpointMjdTai"] = math.inf
    results = parse_alerts(records, "lsst", [None] * len(records))
    reasons = {i: r.reason for i, r in enumerate(results) if isinstance(r, AlertRejected)}
    assert reasons == {
        1: "bad_value:prvDiaSources.band",
        4: "bad_value:diaSource.midpointMjdTai",
    }
    for record, result in zip(records, results, strict=True):
        _same(result, _alone(record, "lsst", None))
