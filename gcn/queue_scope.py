"""What gcn adds to the scanning queue and the source page (registered by ``GcnConfig``):

* the ``localization`` queue scope: ``/candidates/?localization=<id>&cumprob=0.9`` shows the
  sources inside that sky map's region whose first detection is in the event's window (the
  sources the event page counts);
* the "GCN regions" panel of a source page: the events whose region holds the source.
"""

from __future__ import annotations

from django.http import HttpRequest
from tom_targets.models import Target

from gcn import crossmatch
from gcn.models import Localization
from sources.forms import QueueError


def _localization(values: dict[str, str]) -> tuple[Localization, float]:
    try:
        loc_id = int(values.get("localization", ""))
        cumprob = float(values.get("cumprob") or crossmatch.DEFAULT_CUMPROB)
        cumprob = crossmatch.check_cumprob(cumprob)
    except (TypeError, ValueError) as error:
        raise QueueError(f"localization: {error}") from error
    if not 0 < loc_id < 2**63:
        raise QueueError("localization: no such sky map")
    loc = (
        Localization.objects.filter(pk=loc_id, status=Localization.Status.READY)
        .select_related("event")
        .first()
    )
    if loc is None:
        raise QueueError("localization: no such sky map")
    return loc, cumprob


def localization_targets(user, values: dict[str, str]) -> list[int]:
    """Ids of the targets the user may see inside the region, first detected in the window."""
    loc, cumprob = _localization(values)
    return [t.pk for t in crossmatch.matching_targets(loc, user, cumprob)]


def describe_localization(user, values: dict[str, str]) -> str:
    loc, cumprob = _localization(values)
    return (
        f"inside the {cumprob:.0%} region of {loc.event.name} ({loc.name}), first detected "
        "in the event's window"
    )


def regions_panel(request: HttpRequest, target: Target) -> dict:
    """Context of the source page's "GCN events" panel."""
    cumprob = crossmatch.DEFAULT_CUMPROB
    return {
        "regions": crossmatch.events_containing(target, request.user, cumprob),
        "cumprob": cumprob,
    }


def register() -> None:
    from sources.panels import register_source_panel
    from sources.queue import register_queue_scope

    register_queue_scope(
        "localization",
        ("localization", "cumprob"),
        localization_targets,
        describe_localization,
    )
    register_source_panel("gcn/panel_regions.html", regions_panel, order=60)
