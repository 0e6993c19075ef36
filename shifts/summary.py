"""What happened during a shift, for its group: GCN events received, candidates that
passed the group's filters, sources saved and rejected, classifications; follow-up requests
and observation plans come from the apps that own them through
:func:`register_summary_section` (called from their AppConfig.ready()).

Every row belongs to the shift's group (its filters, its saves and rejections, the
classifications shared with it); GCN events are not group-scoped. Times are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.db.models import Q

from gcn.models import GcnEvent
from shifts.models import Shift
from sources.models import Candidate, Classification, Rejection, SavedSource

MAX_ROWS = 500
SectionFn = Callable[[Group, datetime, datetime], list[dict]]
_sections: dict[str, SectionFn] = {}


def register_summary_section(title: str, fn: SectionFn) -> None:
    """Add a section: ``fn(group, start, end)`` returns its rows (dicts of strings)."""
    _sections[title] = fn


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def shift_summary(shift: Shift) -> dict:
    start, end, group = shift.start_at, shift.end_at, shift.group
    events = GcnEvent.objects.filter(
        Q(trigger_time__gte=start, trigger_time__lt=end)
        | Q(created_at__gte=start, created_at__lt=end)
    ).order_by("trigger_time")[:MAX_ROWS]
    candidates = Candidate.objects.filter(
        filter__group=group, ingested_at__gte=start, ingested_at__lt=end
    )
    saved = (
        SavedSource.objects.filter(group=group, saved_at__gte=start, saved_at__lt=end)
        .select_related("target", "saved_by")
        .order_by("saved_at")[:MAX_ROWS]
    )
    rejected = (
        Rejection.objects.filter(group=group, rejected_at__gte=start, rejected_at__lt=end)
        .select_related("target", "rejected_by")
        .order_by("rejected_at")[:MAX_ROWS]
    )
    classifications = (
        Classification.objects.filter(groups=group, created__gte=start, created__lt=end)
        .select_related("target")
        .order_by("created")[:MAX_ROWS]
    )
    data = {
        "shift": {
            "id": shift.pk,
            "name": shift.name,
            "group": group.name,
            "start": _iso(start),
            "end": _iso(end),
            "people": sorted(shift.members.values_list("user__username", flat=True)),
        },
        "gcn_events": [
            {
                "name": e.name,
                "source": e.source,
                "trigger_time": _iso(e.trigger_time),
                "tags": e.tags,
            }
            for e in events
        ],
        "candidates": {
            "count": candidates.count(),
            "sources": list(
                dict.fromkeys(
                    candidates.order_by("ingested_at").values_list("target__name", flat=True)[
                        :MAX_ROWS
                    ]
                )
            ),
        },
        "saved": [
            {
                "source": s.target.name,
                "by": getattr(s.saved_by, "username", ""),
                "at": _iso(s.saved_at),
            }
            for s in saved
        ],
        "rejected": [
            {
                "source": r.target.name,
                "by": getattr(r.rejected_by, "username", ""),
                "at": _iso(r.rejected_at),
            }
            for r in rejected
        ],
        "classifications": [
            {
                "source": c.target.name,
                "label": c.label,
                "probability": c.probability,
                "by": c.author_name,
                "at": _iso(c.created),
            }
            for c in classifications
        ],
    }
    sections = {**_optional_sections(), **_sections}
    data["sections"] = {title: fn(group, start, end)[:MAX_ROWS] for title, fn in sections.items()}
    return data


def _followup_requests(group: Group, start: datetime, end: datetime) -> list[dict]:
    from facilities.models import FollowupRequest

    rows = (
        FollowupRequest.objects.filter(allocation__group=group)
        .filter(Q(created__gte=start, created__lt=end) | Q(updated__gte=start, updated__lt=end))
        .select_related("target", "allocation__instrument", "requester")
        .order_by("created")[:MAX_ROWS]
    )
    return [
        {
            "source": r.target.name,
            "instrument": str(r.allocation.instrument),
            "status": r.status,
            "by": getattr(r.requester, "username", ""),
            "at": _iso(r.created),
        }
        for r in rows
    ]


def _plans(group: Group, start: datetime, end: datetime) -> list[dict]:
    from planning.models import ObservationPlanRequest

    rows = (
        ObservationPlanRequest.objects.filter(
            group=group, created_at__gte=start, created_at__lt=end
        )
        .select_related("event")
        .order_by("created_at")[:MAX_ROWS]
    )
    return [
        {
            "plan": p.pk,
            "event": p.event.name,
            "status": p.status,
            "observations": (p.statistics or {}).get("n_observations", ""),
            "at": _iso(p.created_at),
        }
        for p in rows
    ]


def _optional_sections() -> dict[str, SectionFn]:
    """Follow-up requests and plans, when the apps that own them are installed."""
    found: dict[str, SectionFn] = {}
    if django_apps.is_installed("facilities"):
        found["Follow-up requests"] = _followup_requests
    if django_apps.is_installed("planning"):
        found["Observation plans"] = _plans
    return found


def summary_text(data: dict) -> str:
    """A plain-text report of :func:`shift_summary`."""
    s = data["shift"]
    lines = [
        f"Shift summary: {s['name']} ({s['group']})",
        f"{s['start']} - {s['end']} (UTC)",
        f"On shift: {', '.join(s['people']) or 'nobody'}",
        "",
        f"GCN events ({len(data['gcn_events'])}):",
        *[f"  {e['name']:<20} {e['source']:<8} {e['trigger_time']}" for e in data["gcn_events"]],
        "",
        f"Candidates that passed the group's filters: {data['candidates']['count']}"
        f" ({len(data['candidates']['sources'])} sources)",
        *[f"  {name}" for name in data["candidates"]["sources"][:50]],
        "",
        f"Saved ({len(data['saved'])}):",
        *[f"  {r['source']:<24} by {r['by']} at {r['at']}" for r in data["saved"]],
        "",
        f"Rejected ({len(data['rejected'])}):",
        *[f"  {r['source']:<24} by {r['by']} at {r['at']}" for r in data["rejected"]],
        "",
        f"Classifications ({len(data['classifications'])}):",
        *[
            f"  {c['source']:<24} {c['label']} by {c['by']} at {c['at']}"
            for c in data["classifications"]
        ],
    ]
    for title, rows in data["sections"].items():
        lines += ["", f"{title} ({len(rows)}):"]
        lines += ["  " + "; ".join(f"{k}: {v}" for k, v in row.items()) for row in rows]
    return "\n".join(lines) + "\n"


def summary_json(data: dict) -> str:
    return json.dumps(data, indent=2, default=str)
