"""Follow-up facility plugins: TOM Toolkit facility classes that also serve allocations.

Each class is a TOM facility (``BaseRoboticObservationFacility`` or
``BaseManualObservationFacility``) registered from ``FacilitiesConfig.observation_facilities``
(TOM's integration point), plus the small interface our follow-up service uses:

- ``for_allocation(allocation)`` → an instance configured from the allocation (credentials);
- ``submit_followup(request)`` → ``Exchange`` (observation id, what was sent and received);
- ``cancel_followup(request)`` → ``Exchange``;
- ``poll_followup(request)`` → ``Exchange`` with ``status``/``message`` (robotic facilities
  the beat task polls; ``None`` for those that push their status, like the queue).

A plugin raises :class:`FacilityError` (or anything else) when the facility refuses or
cannot be reached; the request then becomes ``failed`` with that message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PLUGIN_CLASSES = (
    "facilities.plugins.queue.QueueFacility",
    "facilities.plugins.message.MessageFacility",
    "facilities.plugins.lco.AllocationLCOFacility",
)


class FacilityError(Exception):
    """The facility refused the request or could not be reached (the message says which)."""


class AllocationBound:
    """Mixin for facilities configured by the allocation alone (no credentials to unpack)."""

    def __init__(self, allocation=None):
        super().__init__()
        self.allocation = allocation

    @classmethod
    def for_allocation(cls, allocation):
        return cls(allocation)


@dataclass
class Exchange:
    """What one exchange with a facility sent and received."""

    sent: dict[str, Any] = field(default_factory=dict)
    received: dict[str, Any] = field(default_factory=dict)
    observation_id: str = ""
    status: str | None = None
    message: str = ""


def facility_names() -> list[str]:
    from tom_observations.facility import get_service_classes

    return sorted(get_service_classes())


def plugin_for(allocation):
    """The facility plugin instance serving ``allocation`` (configured from it)."""
    from tom_observations.facility import get_service_class

    cls = get_service_class(allocation.facility)
    if not hasattr(cls, "for_allocation"):
        raise FacilityError(f"facility {allocation.facility!r} cannot serve allocations")
    return cls.for_allocation(allocation)
