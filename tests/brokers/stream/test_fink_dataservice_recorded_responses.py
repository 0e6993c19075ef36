"""The Fink data services against recorded API answers, served over real HTTP locally:
object id, cone search and latest-by-class queries for ZTF and LSST, and target creation."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tom_dataservices.dataservices import QueryServiceError, get_data_service_classes
from tom_targets.models import Target

from brokers.fink.dataservice import FinkLSSTDataService, FinkQueryForm, FinkZTFDataService

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = {
    ("ztf", "/api/v1/objects"): "fink_ztf_objects.json",
    ("ztf", "/api/v1/conesearch"): "fink_ztf_conesearch.json",
    ("ztf", "/api/v1/latests"): "fink_ztf_latests.json",
    ("lsst", "/api/v1/sources"): "fink_lsst_sources.json",
    ("lsst", "/api/v1/conesearch"): "fink_lsst_conesearch.json",
    ("lsst", "/api/v1/tags"): "fink_lsst_tags.json",
}


class _Recorded(BaseHTTPRequestHandler):
    requests: list[tuple[str, str, dict]] = []

    def do_POST(self):
        survey, _, path = self.path.lstrip("/").partition("/")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append((survey, "/" + path, body))
        name = RECORDED.get((survey, "/" + path))
        if name is None:
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"unknown endpoint")
            return
        payload = (FIXTURES / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fink_api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings.FETCH_ALLOWED_HOSTS = {
        **settings.FETCH_ALLOWED_HOSTS,
        "fink": [base.removeprefix("http://")],
    }
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.DATA_SERVICES = {
        "Fink ZTF": {"base_url": f"{base}/ztf", "timeout_s": 5},
        "Fink LSST": {"base_url": f"{base}/lsst", "timeout_s": 5},
    }
    _Recorded.requests = []
    yield _Recorded.requests
    server.shutdown()
    server.server_close()


def test_it_registers_both_services_with_the_tom():
    services = get_data_service_classes()
    assert services["Fink ZTF"] is FinkZTFDataService
    assert services["Fink LSST"] is FinkLSSTDataService


def test_it_summarises_a_ztf_object_by_its_newest_alert(fink_api):
    service = FinkZTFDataService()
    params = service.build_query_parameters({"query_kind": "object", "object_id": "ZTF24aaxyzab"})
    [result] = service.query_targets(params)
    assert fink_api == [
        ("ztf", "/api/v1/objects", {"objectId": "ZTF24aaxyzab", "output-format": "json"})
    ]
    assert result["name"] == "ZTF24aaxyzab"
    assert result["alerts"] == 3
    assert result["last_mjd"] == pytest.approx(2460453.6983 - 2400000.5)
    assert result["classification"] == "Early SN Ia candidate"
    assert (result["ra"], result["dec"]) == (247.51291, 32.61825)


def test_it_runs_a_ztf_cone_search_newest_first(fink_api):
    service = FinkZTFDataService()
    params = service.build_query_parameters(
        {"query_kind": "conesearch", "ra": 247.513, "dec": 32.618, "radius": 10}
    )
    results = service.query_targets(params)
    assert fink_api[0][2] == {"ra": 247.513, "dec": 32.618, "radius": 10.0, "output-format": "json"}
    assert [r["name"] for r in results] == ["ZTF24aaxyzab", "ZTF18abcdefg"]


def test_it_lists_the_latest_objects_of_a_class(fink_api):
    service = FinkZTFDataService()
    params = service.build_query_parameters(
        {"query_kind": "latest", "fink_class": "Early SN Ia candidate", "n": 3}
    )
    results = service.query_targets(params)
    assert fink_api[0][1:] == ("/api/v1/latests", {"class": "Early SN Ia candidate", "n": 3})
    assert [r["name"] for r in results] == ["ZTF24abqwert", "ZTF24aaxyzab", "ZTF24acmnbvc"]


def test_it_queries_lsst_by_dia_object_cone_and_tag(fink_api):
    service = FinkLSSTDataService()
    [obj] = service.query_targets(
        service.build_query_parameters({"query_kind": "object", "object_id": "169298435829153810"})
    )
    assert obj["name"] == "169298435829153810"
    assert obj["alerts"] == 2 and obj["last_mjd"] == 61015.2011
    assert obj["classification"] == "SN-like"
    cone = service.query_targets(
        service.build_query_parameters(
            {"query_kind": "conesearch", "ra": 53.13, "dec": -28.10, "radius": 60}
        )
    )
    assert {r["name"] for r in cone} == {"169298435829153810", "169298435829150001"}
    [tagged] = service.query_targets(
        service.build_query_parameters({"query_kind": "latest", "fink_class": "SN-like"})
    )
    assert tagged["name"] == "169298435829153810"
    assert [path for _, path, _ in fink_api] == [
        "/api/v1/sources",
        "/api/v1/conesearch",
        "/api/v1/tags",
    ]
    assert fink_api[0][2] == {"diaObjectId": "169298435829153810", "output-format": "json"}


@pytest.mark.django_db
def test_it_creates_a_target_from_a_result(fink_api):
    service = FinkZTFDataService()
    [result] = service.query_targets(
        service.build_query_parameters({"query_kind": "object", "object_id": "ZTF24aaxyzab"})
    )
    target = service.to_target(result)
    stored = Target.objects.get(name="ZTF24aaxyzab")
    assert stored.pk == target.pk
    assert (stored.ra, stored.dec) == (247.51291, 32.61825)
    assert stored.targetextra_set.get(key="fink_class").value == "Early SN Ia candidate"


def test_it_turns_api_failures_and_bad_input_into_query_errors(fink_api, settings):
    with pytest.raises(QueryServiceError, match="cone out of range"):
        FinkZTFDataService().build_query_parameters(
            {"query_kind": "conesearch", "ra": 400, "dec": 0, "radius": 5}
        )
    with pytest.raises(QueryServiceError, match="object id is required"):
        FinkZTFDataService().build_query_parameters({"query_kind": "object"})
    missing = {"endpoint": "/api/v1/nothing", "body": {}}
    with pytest.raises(QueryServiceError, match="answered 404: unknown endpoint"):
        FinkZTFDataService().query_service(missing)
    settings.FETCH_ALLOWED_HOSTS = {**settings.FETCH_ALLOWED_HOSTS, "fink": ["127.0.0.1:9"]}
    settings.DATA_SERVICES = {"Fink ZTF": {"base_url": "http://127.0.0.1:9", "timeout_s": 1}}
    with pytest.raises(QueryServiceError, match="could not be reached"):
        FinkZTFDataService().query_service({"endpoint": "/api/v1/objects", "body": {}})


def test_it_refuses_a_base_url_off_the_allow_list_without_contacting_it(fink_api, settings):
    settings.DATA_SERVICES = {"Fink ZTF": {"base_url": "http://127.0.0.1:1/evil", "timeout_s": 1}}
    with pytest.raises(QueryServiceError, match="not on the allow-list"):
        FinkZTFDataService().query_service({"endpoint": "/api/v1/objects", "body": {}})
    settings.FETCH_ALLOWED_HOSTS = {**settings.FETCH_ALLOWED_HOSTS, "fink": ["127.0.0.1:1"]}
    settings.FETCH_ALLOWED_NETWORKS = []
    with pytest.raises(QueryServiceError, match="could not be reached"):  # loopback refused
        FinkZTFDataService().query_service({"endpoint": "/api/v1/objects", "body": {}})
    assert fink_api == []


def test_it_asks_for_what_each_query_kind_needs():
    form = FinkQueryForm(data={"data_service": "Fink ZTF", "query_kind": "conesearch", "ra": 10})
    assert not form.is_valid()
    assert set(form.errors) >= {"dec", "radius"}
    form = FinkQueryForm(
        data={"data_service": "Fink ZTF", "query_kind": "latest", "fink_class": ""}
    )
    assert not form.is_valid() and "fink_class" in form.errors
