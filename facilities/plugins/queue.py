"""The queue facility (``Queue``): requests wait in our queue; the telescope's robot or
observer reads and updates them through ``/api/facility_queue/`` with the allocation's
robot token. Nothing is sent anywhere on submit: the request is the queue entry."""

from __future__ import annotations

from crispy_forms.layout import Div, Layout
from django import forms
from tom_observations.facility import BaseRoboticObservationFacility, BaseRoboticObservationForm

from facilities.plugins import AllocationBound, Exchange, FacilityError
from sources.bands import SNCOSMO_BANDS


class QueueObservationForm(BaseRoboticObservationForm):
    """TOM's form for the queue facility (the source page uses the allocation-aware
    ``FollowupParametersForm`` with the same fields)."""

    filters = forms.MultipleChoiceField(choices=sorted((b, b) for b in SNCOSMO_BANDS))
    exposure_time = forms.FloatField(min_value=0.001)
    exposure_count = forms.IntegerField(min_value=1, initial=1)
    priority = forms.IntegerField(min_value=1, max_value=5, initial=3)
    start = forms.DateTimeField(required=False)
    end = forms.DateTimeField(required=False)
    comment = forms.CharField(required=False, max_length=2000)

    def layout(self):
        return Layout(
            Div("filters", "exposure_time", "exposure_count", "priority"),
            Div("start", "end", "comment"),
        )


class QueueFacility(AllocationBound, BaseRoboticObservationFacility):
    name = "Queue"
    observation_types = [("IMAGING", "Imaging")]
    observation_forms = {"IMAGING": QueueObservationForm}
    pushes_status = True

    # ---- our follow-up interface
    def submit_followup(self, request) -> Exchange:
        return Exchange(
            sent={"queue": request.allocation_id, "parameters": request.parameters},
            received={"queued": True, "id": request.pk},
            observation_id=str(request.pk),
            status="pending",
        )

    def cancel_followup(self, request) -> Exchange:
        return Exchange(
            sent={"cancel": request.pk}, received={"cancelled": True}, status="cancelled"
        )

    def poll_followup(self, request) -> Exchange | None:
        return None  # the robot pushes its status through the queue API

    # ---- TOM's facility interface
    def get_form(self, observation_type):
        return QueueObservationForm

    def submit_observation(self, observation_payload):
        raise FacilityError(
            "queue requests are made from the source page or /api/followup_requests"
        )

    def validate_observation(self, observation_payload):
        return []

    def get_observation_status(self, observation_id):
        from facilities.models import FollowupRequest

        request = FollowupRequest.objects.filter(record__observation_id=observation_id).first()
        return {
            "state": request.status if request else "unknown",
            "scheduled_start": None,
            "scheduled_end": None,
        }

    def get_terminal_observing_states(self):
        return ["completed", "failed", "cancelled"]

    def get_observing_sites(self):
        return {}

    def get_observation_url(self, observation_id):
        return ""

    def data_products(self, observation_id, product_id=None):
        return []
