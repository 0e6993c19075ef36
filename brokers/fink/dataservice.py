"""TOM Toolkit data services for Fink's REST API (ZTF and LSST).

Three queries, from the TOM's *Data Services* pages (``/dataservices/``):

* **object id** - every alert Fink holds of one object (ZTF ``objectId`` /
  LSST ``diaObjectId``), summarised as one result;
* **cone search** - objects within ``radius`` arcseconds of (``ra``, ``dec``) degrees;
* **latest by class** - the ``n`` most recent objects Fink put in a class
  (e.g. ``Early SN Ia candidate``, ``Kilonova candidate``).

Fink's API answers with JSON lists of rows whose columns are prefixed by their
origin: for ZTF ``i:`` (ZTF alert fields), ``d:`` (Fink added values), ``v:``
(values Fink derives when answering, e.g. ``v:classification``); for LSST ``r:``
(Rubin fields) and ``f:`` (Fink added values). One row per alert; we keep the newest
row of each object. Endpoints: ZTF ``/api/v1/objects``, ``/api/v1/conesearch``,
``/api/v1/latests`` (by ``class``); LSST ``/api/v1/sources`` (by ``diaObjectId``),
``/api/v1/conesearch``, ``/api/v1/tags`` (by ``tag``). All are POSTs of a JSON body.

Configuration (optional) in ``settings.DATA_SERVICES``::

    DATA_SERVICES = {"Fink ZTF": {"base_url": "https://...", "timeout_s": 30}}

Requests go through the guarded fetch (``icare_tom.fetch``) under the ``fink`` allow-list
(``FETCH_ALLOWED_HOSTS_FINK``); answers are capped at ``MAX_ANSWER_BYTES``.

Creating a target from a result uses TOM's ``to_target``; the alerts' photometry
arrives through the streams, not through this service.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from django import forms
from django.conf import settings
from tom_dataservices.dataservices import DataService, QueryServiceError
from tom_dataservices.forms import BaseQueryForm
from tom_targets.models import Target

from icare_tom.fetch import FetchRefused, explain, fetch
from icare_tom.times import jd_to_mjd

logger = logging.getLogger(__name__)

__all__ = ["FinkLSSTDataService", "FinkQueryForm", "FinkZTFDataService"]

QUERY_KINDS = [
    ("object", "Object id"),
    ("conesearch", "Cone search"),
    ("latest", "Latest objects of a class"),
]
MAX_RADIUS_ARCSEC = 18000.0  # Fink's own cone-search limit (5 degrees)
MAX_LATEST = 1000
MAX_ANSWER_BYTES = 50_000_000  # a JSON answer of Fink's API


class FinkQueryForm(BaseQueryForm):
    query_kind = forms.ChoiceField(choices=QUERY_KINDS, initial="object", label="Query")
    object_id = forms.CharField(required=False, label="Object id (ZTF objectId / LSST diaObjectId)")
    ra = forms.FloatField(required=False, min_value=0, max_value=360, label="RA (deg)")
    dec = forms.FloatField(required=False, min_value=-90, max_value=90, label="Dec (deg)")
    radius = forms.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_RADIUS_ARCSEC,
        label="Radius (arcsec)",
        initial=5.0,
    )
    fink_class = forms.CharField(
        required=False, label="Fink class (e.g. Early SN Ia candidate)", initial="SN candidate"
    )
    n = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_LATEST, initial=10, label="How many"
    )

    def simple_fields(self) -> list[str]:
        return ["query_kind", "object_id"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("query_kind")
        if kind == "object" and not (cleaned.get("object_id") or "").strip():
            self.add_error("object_id", "Give the object id to look up.")
        if kind == "conesearch":
            for name in ("ra", "dec", "radius"):
                if cleaned.get(name) is None:
                    self.add_error(name, "Required for a cone search.")
        if kind == "latest" and not (cleaned.get("fink_class") or "").strip():
            self.add_error("fink_class", "Give the Fink class to list.")
        return cleaned


class _FinkDataService(DataService):
    """What the ZTF and LSST services share; subclasses set the API dialect."""

    survey = ""
    default_base_url = ""
    info_url = "https://fink-broker.readthedocs.io/"
    service_notes = "Alerts and classifications from the Fink broker's public REST API."
    object_endpoint = ""
    object_field = ""
    latest_endpoint = ""
    latest_field = ""
    id_column = ""
    ra_column = ""
    dec_column = ""
    time_columns: tuple[str, ...] = ()
    class_columns: tuple[str, ...] = ()

    @classmethod
    def get_form_class(cls):
        return FinkQueryForm

    @classmethod
    def _settings(cls) -> dict[str, Any]:
        return getattr(settings, "DATA_SERVICES", {}).get(cls.name, {})

    @classmethod
    def api_base_url(cls) -> str:
        return str(cls._settings().get("base_url", cls.default_base_url)).rstrip("/")

    @classmethod
    def urls(cls, **kwargs) -> dict:
        return {"base_url": cls.api_base_url(), "info_url": cls.info_url}

    # parameters --------------------------------------------------------------------------
    def build_query_parameters(self, parameters: dict[str, Any], **kwargs) -> dict[str, Any]:
        """Form data → the request to send: ``{"endpoint": ..., "body": {...}}``."""
        kind = parameters.get("query_kind") or "object"
        if kind == "object":
            object_id = str(parameters.get("object_id") or "").strip()
            if not object_id:
                raise QueryServiceError("an object id is required")
            return {
                "endpoint": self.object_endpoint,
                "body": {self.object_field: object_id, "output-format": "json"},
            }
        if kind == "conesearch":
            try:
                ra, dec = float(parameters["ra"]), float(parameters["dec"])
                radius = float(parameters.get("radius") or 5.0)
            except (KeyError, TypeError, ValueError):
                raise QueryServiceError(
                    "a cone search needs ra, dec (deg) and radius (arcsec)"
                ) from None
            if not (0 <= ra <= 360 and -90 <= dec <= 90 and 0 < radius <= MAX_RADIUS_ARCSEC):
                raise QueryServiceError(
                    f"cone out of range: ra {ra}, dec {dec}, radius {radius} arcsec "
                    f"(0-360, -90-90, up to {MAX_RADIUS_ARCSEC:.0f})"
                )
            return {
                "endpoint": "/api/v1/conesearch",
                "body": {"ra": ra, "dec": dec, "radius": radius, "output-format": "json"},
            }
        if kind == "latest":
            fink_class = str(parameters.get("fink_class") or "").strip()
            if not fink_class:
                raise QueryServiceError("a Fink class is required")
            n = int(parameters.get("n") or 10)
            return {
                "endpoint": self.latest_endpoint,
                "body": {self.latest_field: fink_class, "n": min(max(n, 1), MAX_LATEST)},
            }
        raise QueryServiceError(f"unknown query kind {kind!r}")

    def build_query_parameters_from_target(self, target, **kwargs) -> dict[str, Any]:
        return self.build_query_parameters({"query_kind": "object", "object_id": target.name})

    # querying ----------------------------------------------------------------------------
    def query_service(self, query_parameters: dict[str, Any], **kwargs) -> list[dict[str, Any]]:
        """POST the request to Fink; returns its rows (a list of dicts)."""
        url = self.api_base_url() + query_parameters["endpoint"]
        timeout = float(self._settings().get("timeout_s", 30))
        try:
            answer = fetch(
                url,
                source="fink",
                max_bytes=MAX_ANSWER_BYTES,
                timeout_s=timeout,
                method="POST",
                body=json.dumps(query_parameters["body"]).encode(),
                headers={"Content-Type": "application/json"},
            )
        except FetchRefused as refused:
            logger.warning("Fink API request refused: %s", refused)
            raise QueryServiceError(
                explain(refused, remote="Fink API", source="fink", timeout_s=timeout)
            ) from None
        try:
            rows = json.loads(answer)
        except ValueError as error:
            raise QueryServiceError(f"Fink API sent something that is not JSON: {error}") from None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise QueryServiceError("Fink API answer is not a list of rows")
        self.query_results = rows
        return rows

    def query_targets(self, query_parameters: dict[str, Any], **kwargs) -> list[dict[str, Any]]:
        """One result per object (its newest alert), newest first."""
        newest: dict[str, tuple[float, dict[str, Any], int]] = {}
        for row in self.query_service(query_parameters, **kwargs):
            name = row.get(self.id_column)
            if name is None:
                continue
            name = str(name)
            when = self._time(row)
            count = newest[name][2] + 1 if name in newest else 1
            if name not in newest or when > newest[name][0]:
                newest[name] = (when, row, count)
            else:
                newest[name] = (newest[name][0], newest[name][1], count)
        results = [self._result(name, row, count) for name, (_, row, count) in newest.items()]
        results.sort(key=lambda r: r["last_mjd"] if r["last_mjd"] is not None else -math.inf)
        results.reverse()
        self.target_results = results
        return results

    def _time(self, row: dict[str, Any]) -> float:
        for column in self.time_columns:
            value = _number(row.get(column))
            if value is not None:
                return jd_to_mjd(value) if column.endswith(":jd") else value
        return -math.inf

    def _result(self, name: str, row: dict[str, Any], count: int) -> dict[str, Any]:
        last = self._time(row)
        classification = next(
            (str(row[c]) for c in self.class_columns if row.get(c) not in (None, "")), None
        )
        return {
            "name": name,
            "survey": self.survey,
            "ra": _number(row.get(self.ra_column)),
            "dec": _number(row.get(self.dec_column)),
            "last_mjd": None if last == -math.inf else round(last, 6),
            "classification": classification,
            "alerts": count,
        }

    # targets -----------------------------------------------------------------------------
    def create_target_from_query(self, target_result: dict[str, Any], **kwargs) -> Target:
        if target_result.get("ra") is None or target_result.get("dec") is None:
            raise QueryServiceError(f"Fink gave no coordinates for {target_result.get('name')}")
        return Target(
            name=target_result["name"],
            type="SIDEREAL",
            ra=target_result["ra"],
            dec=target_result["dec"],
            epoch=2000.0,
        )

    def create_target_extras_from_query(self, query_results: dict[str, Any], **kwargs) -> dict:
        extras = {"survey": query_results.get("survey"), "broker": "Fink"}
        if query_results.get("classification"):
            extras["fink_class"] = query_results["classification"]
        return extras


class FinkZTFDataService(_FinkDataService):
    name = "Fink ZTF"
    verbose_name = "Fink broker: ZTF alerts"
    survey = "ztf"
    default_base_url = "https://api.fink-portal.org"
    object_endpoint = "/api/v1/objects"
    object_field = "objectId"
    latest_endpoint = "/api/v1/latests"
    latest_field = "class"
    id_column = "i:objectId"
    ra_column = "i:ra"
    dec_column = "i:dec"
    time_columns = ("i:jd",)
    class_columns = ("v:classification", "d:finkclass")


class FinkLSSTDataService(_FinkDataService):
    name = "Fink LSST"
    verbose_name = "Fink broker: Rubin LSST alerts"
    survey = "lsst"
    default_base_url = "https://api.lsst.fink-portal.org"
    object_endpoint = "/api/v1/sources"
    object_field = "diaObjectId"
    latest_endpoint = "/api/v1/tags"
    latest_field = "tag"
    id_column = "r:diaObjectId"
    ra_column = "r:ra"
    dec_column = "r:dec"
    time_columns = ("r:midpointMjdTai",)
    class_columns = ("f:main_label_classifier", "f:classification", "v:classification")


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
