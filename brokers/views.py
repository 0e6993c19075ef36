"""Provenance: the raw alert exactly as it arrived."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.access import visible_targets
from brokers.models import ArchivedAlert


@require_GET
def raw_alert(request, alert_id: int):
    """The archived alert bytes (schemaless Avro in Fink's schema) as a download.

    404 unless the alert's target is visible to the user, so an alert id reveals nothing.
    """
    archived = ArchivedAlert.objects.filter(alert_id=alert_id).order_by("id").first()
    if (
        archived is None
        or not visible_targets(request.user).filter(name=archived.object_name).exists()
    ):
        raise Http404("No such alert")
    response = HttpResponse(archived.raw_bytes(), content_type="application/avro")
    response["Content-Disposition"] = (
        f'attachment; filename="{archived.survey}-{archived.alert_id}.avro"'
    )
    response["X-Alert-Topic"] = archived.topic
    return response
