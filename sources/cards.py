"""Queue cards: everything one object's card shows, gathered for a whole page in a number
of queries independent of its size, and rendered through ``sources/_card.html``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.access import groups_of, may_scan
from sources import display
from sources.classifications import visible_classifications
from sources.coords import galactic_latitude, sexagesimal
from sources.forms import QueueParams
from sources.lightcurves import (
    CARD_POINTS,
    LightCurvePoint,
    Mark,
    band_legend,
    light_curves,
    marks,
    sparkline_svg,
)
from sources.links import action_urls, cutout_url, source_url
from sources.models import Candidate, Classification
from sources.queue import AlertSummary, alert_summaries, ordered_page, queue_queryset
from sources.state import TargetState, target_states

CUTOUT_KINDS = ("science", "template", "difference")


@dataclass
class CandidateCard:
    """One object of the queue, shown through its representative (newest matching) alert."""

    candidate: Candidate
    survey: str
    ra: float
    dec: float
    ra_hms: str
    dec_dms: str
    galactic_b: float
    photometry: list[LightCurvePoint]
    classification: Classification | None
    key_values: list[tuple[str, Any]]
    state: TargetState
    links: dict[str, str]
    alerts: AlertSummary = field(default_factory=AlertSummary)
    actions: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self):
        return self.candidate.target

    @property
    def saved_groups(self) -> list[int]:
        return self.state.saved_groups

    @property
    def passed_groups(self) -> list[int]:
        return self.state.passed_groups

    @property
    def rejected(self) -> bool:
        return self.state.rejected

    # Display strings, formatted here once rather than by template filters (hot path).
    @property
    def degrees(self) -> str:
        return f"{self.ra:.5f} {self.dec:+.5f}"

    @property
    def galactic_b_text(self) -> str:
        return f"{self.galactic_b:+.2f}"

    @property
    def summary(self):
        return getattr(self.target, "summary", None)

    @property
    def detections_text(self) -> str:
        summary = self.summary
        if summary is None:
            return "-"
        first, last = summary.first_detection_mjd, summary.last_detection_mjd
        return " / ".join("-" if v is None else f"{v:.3f}" for v in (first, last))

    @property
    def probability_text(self) -> str:
        if self.classification is None or self.classification.probability is None:
            return ""
        return f"{self.classification.probability:.2f}"

    @property
    def passed_text(self) -> str:
        return self.candidate.passed_at.strftime("%Y-%m-%d %H:%M")

    @property
    def source_url(self) -> str:
        return source_url(self.target.name)

    @property
    def cutouts(self) -> list[tuple[str, str]]:
        alert_id = self.candidate.alert_id
        return [(kind, cutout_url(alert_id, kind)) for kind in CUTOUT_KINDS]

    @property
    def alerts_url(self) -> str:
        return source_url(self.target.name, "alerts")

    @cached_property
    def drawn(self) -> list[Mark]:
        """The points as drawn, read once for both sparklines (``lightcurves.marks``)."""
        return marks(self.photometry)

    @property
    def sparkline_mag(self) -> SafeString:
        return mark_safe(sparkline_svg(self.photometry, "mag", drawn=self.drawn))

    @property
    def sparkline_flux(self) -> SafeString:
        return mark_safe(sparkline_svg(self.photometry, "flux", drawn=self.drawn))

    @property
    def legend(self) -> SafeString:
        return mark_safe(band_legend(self.photometry))

    @property
    def other_alerts(self) -> int:
        return self.alerts.count - 1


def build_cards(
    user, candidates: list[Candidate], params: QueueParams | None = None
) -> list[CandidateCard]:
    """The cards of ``candidates`` (one per object, in order), in a number of queries
    independent of their number. ``params`` are the queue's (for the alert counts)."""
    if not candidates:
        return []
    params = params or QueueParams(window="all")
    group_names = dict(groups_of(user).order_by("name").values_list("id", "name"))
    can_act = may_scan(user)
    target_ids = list({c.target_id for c in candidates})
    curves = light_curves(target_ids, latest=CARD_POINTS, user=user)
    summaries = alert_summaries(user, params, candidates)
    latest = {
        c.target_id: c
        for c in visible_classifications(user)
        .filter(target_id__in=target_ids)
        .select_related("taxonomy")
        .order_by("target_id", "-created", "-id")
        .distinct("target_id")
    }
    states = target_states(user, target_ids, list(group_names))

    ra = [c.target.ra or 0.0 for c in candidates]
    dec = [c.target.dec or 0.0 for c in candidates]
    ra_hms, dec_dms = sexagesimal(ra, dec)
    galactic_b = galactic_latitude(ra, dec)

    cards = []
    for index, candidate in enumerate(candidates):
        survey = candidate.filter.stream.survey
        cards.append(
            CandidateCard(
                candidate=candidate,
                survey=survey,
                ra=float(ra[index]),
                dec=float(dec[index]),
                ra_hms=ra_hms[index],
                dec_dms=dec_dms[index],
                galactic_b=float(galactic_b[index]),
                photometry=curves.get(candidate.target_id, []),
                classification=latest.get(candidate.target_id),
                key_values=display.key_values(survey, candidate.annotations),
                state=states[candidate.target_id],
                links=display.external_links(
                    survey, candidate.target.name, float(ra[index]), float(dec[index])
                ),
                alerts=summaries.get(candidate.target_id, AlertSummary(count=1)),
            )
        )
        cards[-1].actions = actions_context(
            target=candidate.target,
            state=cards[-1].state,
            group_names=group_names,
            can_act=can_act,
        )
    return cards


def scanning_page(
    user, params: QueueParams, now: datetime | None = None
) -> tuple[list[CandidateCard], str | None]:
    """The page of cards ``params`` asks for (one per object) and the next page's cursor."""
    rows, next_cursor = ordered_page(queue_queryset(user, params, now), params)
    return build_cards(user, rows, params), next_cursor


def actions_context(
    *,
    target,
    state: TargetState,
    group_names: dict[int, str],
    can_act: bool,
    message: str | None = None,
) -> dict[str, Any]:
    return {
        "target": target,
        "urls": action_urls(target.name),
        "state": state,
        "saved_names": [group_names.get(g, str(g)) for g in state.saved_groups],
        "passed_names": [group_names.get(g, str(g)) for g in state.passed_groups],
        "group_choices": [
            (gid, name, gid in state.saved_groups) for gid, name in group_names.items()
        ],
        "can_act": can_act,
        "message": message,
    }


def render_actions(request, **kwargs) -> SafeString:
    """The action bar of a source (save / unsave, choose groups, reject / undo): what the
    htmx buttons swap in after an action. Users whose role may not act see the state only."""
    return mark_safe(
        render_to_string(
            "sources/_actions.html",
            {"a": actions_context(**kwargs), **_csrf(get_token(request))},
            using="jinja2",
        )
    )


def render_cards(request, cards: list[CandidateCard], queue_query: str = "") -> SafeString:
    """A page of cards; ``queue_query`` (the queue's parameters) goes into each card's
    "n alerts" link so that the list it opens matches the count."""
    return mark_safe(
        render_to_string(
            "sources/_cards.html",
            {"cards": cards, "queue_query": queue_query, **_csrf(get_token(request))},
            using="jinja2",
        )
    )


def render_card(card: CandidateCard, csrf_token: str, live: bool = False) -> str:
    """One card's HTML, outside a request (the live stream sends cards one at a time)."""
    return render_to_string(
        "sources/_card.html", {"card": card, "live": live, **_csrf(csrf_token)}, using="jinja2"
    )


def _csrf(token: str) -> dict[str, str]:
    """The CSRF token and its hidden input, made once for a whole page (the backend's own
    ``csrf_input`` masks a new token at every use: 5 forms on each of 200 cards)."""
    return {
        "csrf_token": token,
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        ),
    }
