"""LCO through TOM Toolkit's own LCO facility, configured from an allocation.

``AllocationLCOFacility`` is TOM's ``LCOFacility`` (same name, ``LCO``; TOM's forms, states,
terminal states and URLs) with its settings read from the allocation's encrypted credentials
instead of ``settings.FACILITIES``::

    {"api_key": "…", "proposal": "…", "portal_url": "https://observe.lco.global",
     "archive_url": "https://archive-api.lco.global", "instrument_type": "1M0-SCICAM-SINISTRO"}

Its HTTP calls go through ``facilities.http`` (the guarded fetch: the facilities allow-list,
timeouts, size limits) rather than TOM's unbounded ``make_request``; the request bodies and the
parsing of LCO's answers are those of TOM's OCS facility. The portal, archive and archive
storage hosts are on the default allow-list; another portal URL needs
``FETCH_ALLOWED_HOSTS_FACILITIES``.
"""

from __future__ import annotations

from urllib.parse import urlencode, urljoin

from tom_observations.facilities.lco import LCOFacility, LCOSettings

from facilities import http
from facilities.plugins import Exchange, FacilityError

# sncosmo band → LCO filter code
LCO_FILTERS = {
    "sdssu": "up",
    "sdssg": "gp",
    "sdssr": "rp",
    "sdssi": "ip",
    "sdssz": "zs",
    "bessellux": "U",
    "bessellb": "B",
    "bessellv": "V",
    "bessellr": "R",
    "besselli": "I",
    "standard::b": "B",
    "standard::v": "V",
    "standard::r": "R",
    "standard::i": "I",
}
TELESCOPE_CLASS = {"1M0": "1m0", "2M0": "2m0", "0M4": "0m4"}
MAX_FRAMES = 1000


class AllocationLCOSettings(LCOSettings):
    """TOM's LCO settings, read from one allocation's credentials."""

    def __init__(self, allocation):
        super().__init__("LCO")
        self.allocation = allocation
        self._credentials = allocation.get_credentials() if allocation is not None else {}

    def get_setting(self, key):
        defaults = {
            "portal_url": "https://observe.lco.global",
            "archive_url": "https://archive-api.lco.global",
        }
        value = self._credentials.get(key)
        if value not in (None, ""):
            return value
        return defaults.get(key, self.default_settings.get(key))


class AllocationLCOFacility(LCOFacility):
    name = "LCO"
    pushes_status = False

    def __init__(self, facility_settings=None, allocation=None):
        super().__init__(facility_settings=facility_settings or AllocationLCOSettings(allocation))
        self.allocation = allocation

    @classmethod
    def for_allocation(cls, allocation) -> AllocationLCOFacility:
        return cls(AllocationLCOSettings(allocation), allocation)

    # ---- HTTP, bounded
    def _url(self, path: str, archive: bool = False) -> str:
        base = self.facility_settings.get_setting("archive_url" if archive else "portal_url")
        return urljoin(base, path)

    def _call(self, method: str, path: str, payload=None, archive: bool = False):
        return http.request_json(
            method, self._url(path, archive), headers=self._portal_headers(), json=payload
        )

    # ---- TOM's facility interface, through the bounded HTTP
    def submit_observation(self, observation_payload):
        answer = self._call("POST", "/api/requestgroups/", observation_payload)
        return [r["id"] for r in answer["requests"]]

    def cancel_observation(self, observation_id):
        query = urlencode({"request_id": observation_id})
        groups = self._call("GET", f"/api/requestgroups/?{query}")
        if groups.get("count") != 1:
            raise FacilityError(f"LCO knows no single request group for request {observation_id}")
        answer = self._call("POST", f"/api/requestgroups/{groups['results'][0]['id']}/cancel/")
        return answer.get("state") == "CANCELED"

    def get_observation_status(self, observation_id):
        state = self._call("GET", f"/api/requests/{observation_id}")["state"]
        blocks = self._call("GET", f"/api/requests/{observation_id}/observations/")
        current = None
        for block in blocks:
            if block.get("state") == "COMPLETED":
                current = block
                break
            if block.get("state") == "PENDING":
                current = block
        return {
            "state": state,
            "scheduled_start": current.get("start") if current else None,
            "scheduled_end": current.get("end") if current else None,
        }

    def _archive_frames(self, observation_id, product_id=None):
        frames: list[dict] = []
        url = self._url(f"/frames/?REQNUM={observation_id}&limit={MAX_FRAMES}", archive=True)
        while url and len(frames) < MAX_FRAMES:
            page = http.request_json("GET", url, headers=self._portal_headers())
            frames.extend(page.get("results", []))
            url = page.get("next")
        return frames[:MAX_FRAMES]

    # ---- our follow-up interface
    def request_group(self, request) -> dict:
        """The LCO request group for a follow-up request (one configuration per filter)."""
        p = request.parameters
        credentials = self.allocation.get_credentials()
        instrument_type = credentials.get("instrument_type", "1M0-SCICAM-SINISTRO")
        target = request.target
        unknown = [f for f in p["filters"] if f not in LCO_FILTERS]
        if unknown:
            raise FacilityError(f"no LCO filter for {', '.join(unknown)}")
        configurations = [
            {
                "type": "EXPOSE",
                "instrument_type": instrument_type,
                "target": {
                    "name": target.name,
                    "type": "ICRS",
                    "ra": target.ra,
                    "dec": target.dec,
                    "epoch": 2000,
                },
                "constraints": {"max_airmass": float(credentials.get("max_airmass", 2.0))},
                "acquisition_config": {"mode": "OFF"},
                "guiding_config": {"mode": "ON", "optional": True},
                "instrument_configs": [
                    {
                        "exposure_time": p["exposure_time"],
                        "exposure_count": p["exposure_count"],
                        "optical_elements": {"filter": LCO_FILTERS[band]},
                    }
                ],
            }
            for band in p["filters"]
        ]
        return {
            "name": f"{target.name}-icare-{request.pk}",
            "proposal": credentials.get("proposal", ""),
            "ipp_value": 1.05,
            "operator": "SINGLE",
            "observation_type": "NORMAL",
            "requests": [
                {
                    "configurations": configurations,
                    "windows": [{"start": p["start"], "end": p["end"]}],
                    "location": {
                        "telescope_class": TELESCOPE_CLASS.get(instrument_type[:3], "1m0")
                    },
                }
            ],
        }

    def submit_followup(self, request) -> Exchange:
        payload = self.request_group(request)
        ids = self.submit_observation(payload)
        return Exchange(
            sent=payload,
            received={"request_ids": ids},
            observation_id=",".join(str(i) for i in ids),
            status="accepted",
            message=f"accepted by LCO as request {', '.join(str(i) for i in ids)}",
        )

    def cancel_followup(self, request) -> Exchange:
        observation_id = request.record.observation_id.split(",")[0]
        cancelled = self.cancel_observation(observation_id)
        if not cancelled:
            raise FacilityError("LCO did not cancel the request group")
        return Exchange(
            sent={"cancel": observation_id},
            received={"state": "CANCELED"},
            status="cancelled",
            message="cancelled at LCO",
        )

    def poll_followup(self, request) -> Exchange:
        observation_id = request.record.observation_id.split(",")[0]
        status = self.get_observation_status(observation_id)
        state = status["state"]
        settings_ = self.facility_settings
        if state in settings_.get_successful_observing_states():
            ours = "completed"
        elif state == "CANCELED":
            ours = "cancelled"
        elif state in settings_.get_failed_observing_states():
            ours = "failed"
        else:
            ours = "accepted"
        received = dict(status)
        if ours == "completed":
            received["frames"] = [
                {"id": f.get("id"), "filename": f.get("filename"), "url": f.get("url")}
                for f in self._archive_frames(observation_id)
            ]
        when = f", scheduled {status['scheduled_start']}" if status["scheduled_start"] else ""
        return Exchange(
            sent={"status_of": observation_id},
            received=received,
            status=ours,
            message=f"LCO state {state}{when}",
        )
