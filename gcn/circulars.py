"""GCN Circular drafts: what a group found for an event, written in GCN Circular form.

A draft is built from the group's sources inside the event's credible region (``cumprob``,
default 0.9; first detection within the event's window), each kept or rejected with a
reason, the galaxies chosen, the authors (group members with their affiliations) and the
acknowledgements. The text follows the GCN Circular conventions: a SUBJECT line, an author
line "… report on behalf of the … collaboration:", plain-text body and tables at most
80 characters wide. Drafts are saved per event and group as numbered versions; an edited
text is saved as a new version. Coordinates in degrees, areas in deg², distances in Mpc.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Max
from tom_targets.models import Target

from accounts import access
from accounts.models import TargetGroupObjectPermission
from gcn import crossmatch
from gcn.models import CircularDraft, GcnEvent, Localization
from sources.models import Rejection, SavedSource

WIDTH = 80
MAX_SOURCES = 500
MAX_GALAXIES = 100
MAX_AUTHORS = 100
MAX_TEXT = 100_000
STATUSES = ("kept", "rejected")


class CircularError(ValueError):
    """Bad input; ``field`` names it (for a 400)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class SourceRow:
    name: str
    ra: float | None
    dec: float | None
    cumprob: float
    status: str
    reason: str = ""


@dataclass
class DraftInput:
    group: Group
    localization: Localization | None
    cumprob: float = crossmatch.DEFAULT_CUMPROB
    sources: dict[str, tuple[str, str]] | None = None  # name → (status, reason); None: all
    galaxies: list[str] | None = None  # names; None: the best few
    n_galaxies: int = 5
    authors: list[tuple[int, str]] = field(default_factory=list)  # (user id, affiliation)
    acknowledgements: str = ""
    collaboration: str = ""


# --------------------------------------------------------------------------- the group's finds


def group_sources_in_region(
    group: Group, loc: Localization, cumprob: float = crossmatch.DEFAULT_CUMPROB
) -> list[tuple[Target, float]]:
    """(target, credible level of its tile) for the group's sources inside the region whose
    first detection is within the event's window, most central first."""
    found = {tid: cp for tid, cp, _ in crossmatch.matching_target_rows(loc, cumprob)}
    if not found:
        return []
    owned = TargetGroupObjectPermission.objects.filter(
        group=group,
        permission_id=access.view_target_permission().pk,
        content_object_id__in=list(found),
    ).values("content_object_id")
    targets = Target.objects.filter(pk__in=owned)
    return sorted(((t, found[t.pk]) for t in targets), key=lambda p: (p[1], p[0].name))


def default_statuses(group: Group, targets: list[Target]) -> dict[int, tuple[str, str]]:
    """Saved to the group → kept; rejected by the group → rejected; else no status yet."""
    ids = [t.pk for t in targets]
    kept = set(
        SavedSource.objects.filter(
            group=group, target_id__in=ids, unsaved_at__isnull=True
        ).values_list("target_id", flat=True)
    )
    rejected = set(
        Rejection.objects.active()
        .filter(group=group, target_id__in=ids)
        .values_list("target_id", flat=True)
    )
    out = {}
    for tid in ids:
        if tid in kept:
            out[tid] = ("kept", "saved by the group")
        elif tid in rejected:
            out[tid] = ("rejected", "rejected in scanning")
        else:
            out[tid] = ("unvetted", "")
    return out


# --------------------------------------------------------------------------- input


def _text(value, field_name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise CircularError(field_name, f"text of at most {limit} characters")
    return value.strip()


def parse_input(user, event: GcnEvent, data) -> DraftInput:
    """Validate an API/form document; groups must be the user's, authors its members."""
    if not isinstance(data, dict):
        raise CircularError("group_id", "send an object with group_id")
    group_id = data.get("group_id")
    if not isinstance(group_id, int) or isinstance(group_id, bool):
        raise CircularError("group_id", "the id of one of your groups")
    group = access.groups_of(user).filter(pk=group_id).first()
    if group is None:
        raise CircularError("group_id", "not one of your groups")
    loc_id = data.get("localization_id")
    if loc_id is None:
        loc = event.current_localization()
    else:
        if not isinstance(loc_id, int) or isinstance(loc_id, bool):
            raise CircularError("localization_id", "a localization id of this event")
        loc = event.localizations.filter(pk=loc_id, status=Localization.Status.READY).first()
        if loc is None:
            raise CircularError("localization_id", "no such ready localization of this event")
    cumprob = data.get("cumprob", crossmatch.DEFAULT_CUMPROB)
    try:
        cumprob = crossmatch.check_cumprob(cumprob)
    except (TypeError, ValueError):
        raise CircularError("cumprob", "a credible level in (0, 1]") from None
    sources = data.get("sources")
    chosen = None
    if sources is not None:
        if not isinstance(sources, list) or len(sources) > MAX_SOURCES:
            raise CircularError(
                "sources", f'a list of at most {MAX_SOURCES} {{"name", "status", "reason"}}'
            )
        chosen = {}
        for i, row in enumerate(sources):
            if not isinstance(row, dict) or not isinstance(row.get("name"), str):
                raise CircularError(f"sources[{i}]", 'an object with "name", "status", "reason"')
            status = row.get("status", "kept")
            if status not in STATUSES:
                raise CircularError(f"sources[{i}].status", "kept or rejected")
            chosen[row["name"][:200]] = (
                status,
                _text(row.get("reason"), f"sources[{i}].reason", 200),
            )
    galaxies = data.get("galaxies")
    if galaxies is not None and (
        not isinstance(galaxies, list)
        or len(galaxies) > MAX_GALAXIES
        or not all(isinstance(g, str) and len(g) <= 100 for g in galaxies)
    ):
        raise CircularError("galaxies", f"a list of at most {MAX_GALAXIES} galaxy names")
    n_galaxies = data.get("n_galaxies", 5)
    if (
        not isinstance(n_galaxies, int)
        or isinstance(n_galaxies, bool)
        or not 0 <= n_galaxies <= MAX_GALAXIES
    ):
        raise CircularError("n_galaxies", f"an integer from 0 to {MAX_GALAXIES}")
    authors_raw = data.get("authors")
    authors: list[tuple[int, str]] = []
    if authors_raw is None:
        authors = [(user.pk, "")]
    else:
        if not isinstance(authors_raw, list) or len(authors_raw) > MAX_AUTHORS:
            raise CircularError(
                "authors", f'a list of at most {MAX_AUTHORS} {{"user_id", "affiliation"}}'
            )
        members = set(group.user_set.values_list("pk", flat=True))
        for i, row in enumerate(authors_raw):
            uid = row.get("user_id") if isinstance(row, dict) else None
            if not isinstance(uid, int) or isinstance(uid, bool) or uid not in members:
                raise CircularError(f"authors[{i}].user_id", "a member of the group")
            authors.append((uid, _text(row.get("affiliation"), f"authors[{i}].affiliation", 200)))
    return DraftInput(
        group=group,
        localization=loc,
        cumprob=cumprob,
        sources=chosen,
        galaxies=galaxies,
        n_galaxies=n_galaxies,
        authors=authors,
        acknowledgements=_text(data.get("acknowledgements"), "acknowledgements", 5000),
        collaboration=_text(data.get("collaboration"), "collaboration", 100) or group.name,
    )


# --------------------------------------------------------------------------- report and text


def build_report(event: GcnEvent, spec: DraftInput) -> dict:
    """The content of a draft as JSON-able data (what the text is written from)."""
    loc = spec.localization
    rows: list[SourceRow] = []
    galaxies: list[dict] = []
    if loc is not None:
        inside = group_sources_in_region(spec.group, loc, spec.cumprob)
        by_name = {t.name: (t, cp) for t, cp in inside}
        if spec.sources is not None:
            unknown = sorted(set(spec.sources) - set(by_name))
            if unknown:
                raise CircularError(
                    "sources", f"not a source of the group inside the region: {unknown[0][:50]}"
                )
            for name, (status, reason) in spec.sources.items():
                target, cp = by_name[name]
                rows.append(SourceRow(name, target.ra, target.dec, cp, status, reason))
        else:
            statuses = default_statuses(spec.group, [t for t, _ in inside])
            for target, cp in inside:
                status, reason = statuses[target.pk]
                rows.append(SourceRow(target.name, target.ra, target.dec, cp, status, reason))
        rows.sort(key=lambda r: (r.cumprob, r.name))
        limit = MAX_GALAXIES if spec.galaxies is not None else spec.n_galaxies
        ranked = (
            crossmatch.matching_galaxies(
                loc, spec.cumprob, limit=limit * 10 if spec.galaxies else limit
            )
            if limit
            else []
        )
        if spec.galaxies is not None:
            wanted = set(spec.galaxies)
            ranked = [g for g in ranked if g["name"] in wanted]
        galaxies = [
            {"name": g["name"], "ra": g["ra"], "dec": g["dec"], "distance_mpc": g["distance_mpc"]}
            for g in ranked[:limit]
        ]
    User = get_user_model()
    users = User.objects.in_bulk([uid for uid, _ in spec.authors])
    authors = [
        {"name": (users[uid].get_full_name() or users[uid].username), "affiliation": aff}
        for uid, aff in spec.authors
        if uid in users
    ]
    return {
        "event": {
            "id": event.pk,
            "name": event.name,
            "aliases": list(event.aliases),
            "trigger_time": event.trigger_time.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "source": event.source,
        },
        "group": {"id": spec.group.pk, "name": spec.group.name},
        "collaboration": spec.collaboration,
        "localization": None
        if loc is None
        else {
            "id": loc.pk,
            "name": loc.name,
            "area_90_deg2": loc.area_90,
            "distance_mpc": loc.distance_mean,
        },
        "cumprob": spec.cumprob,
        "window_days": list(crossmatch.window_days()),
        "sources": [r.__dict__ for r in rows],
        "galaxies": galaxies,
        "authors": authors,
        "acknowledgements": spec.acknowledgements,
    }


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _table(header: list[str], widths: list[int], rows: list[list[str]]) -> list[str]:
    """Fixed-width rows (cells cut to their column), never wider than 80 characters."""

    # The columns with their separating spaces fit in WIDTH (80) characters.
    def line(cells):
        return " ".join(str(c)[:w].ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *[line(r) for r in rows]]


def _wrap(text: str) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(textwrap.wrap(paragraph, WIDTH) or [""])
    return out


def subject_of(report: dict) -> str:
    event = report["event"]
    mission = {"LVK": "LIGO/Virgo/KAGRA"}.get(event["source"], event["source"])
    return f"{mission} {event['name']}: {report['collaboration']} follow-up"[:200]


def render_text(report: dict) -> str:
    """The draft in GCN Circular form; every line at most 80 characters."""
    event, loc = report["event"], report["localization"]
    authors = ", ".join(
        f"{a['name']} ({a['affiliation']})" if a["affiliation"] else a["name"]
        for a in report["authors"]
    )
    kept = [s for s in report["sources"] if s["status"] == "kept"]
    rejected = [s for s in report["sources"] if s["status"] == "rejected"]
    others = [s for s in report["sources"] if s["status"] not in ("kept", "rejected")]
    pct = f"{report['cumprob'] * 100:g}"
    before, after = report["window_days"]
    lines = [
        "TITLE:   GCN CIRCULAR",
        "NUMBER:  (assigned on submission)",
        f"SUBJECT: {subject_of(report)}",
        "",
        *_wrap(f"{authors} report on behalf of the {report['collaboration']} collaboration:"),
        "",
    ]
    where = (
        f"the {pct} % credible region of {event['name']} ({loc['name']}, "
        f"{_fmt(loc['area_90_deg2'], '.0f')} deg² at 90 %)"
        if loc
        else f"the localization of {event['name']}"
    )
    body = (
        f"We searched {where} for optical transients first detected between "
        f"{before:+g} and {after:+g} days of the trigger time {event['trigger_time']}. "
        f"{len(report['sources'])} candidate(s) of our group lie inside the region: "
        f"{len(kept)} kept for follow-up, {len(rejected)} rejected"
        + (f", {len(others)} not yet vetted." if others else ".")
    )
    lines += _wrap(body)
    if report["sources"]:
        lines += [""]
        lines += _table(
            ["Name", "RA (deg)", "Dec (deg)", "Cred.", "Status", "Reason"],
            [18, 9, 9, 5, 8, 26],
            [
                [s["name"], _fmt(s["ra"], ".5f"), _fmt(s["dec"], "+.5f"), _fmt(s["cumprob"], ".2f"),
                 s["status"], s["reason"]]
                for s in report["sources"]
            ],
        )  # fmt: skip
    if report["galaxies"]:
        lines += ["", *_wrap("Galaxies of the region ranked by probability and distance:"), ""]
        lines += _table(
            ["Galaxy", "RA (deg)", "Dec (deg)", "Dist. (Mpc)"],
            [30, 10, 10, 11],
            [
                [
                    g["name"],
                    _fmt(g["ra"], ".5f"),
                    _fmt(g["dec"], "+.5f"),
                    _fmt(g["distance_mpc"], ".1f"),
                ]
                for g in report["galaxies"]
            ],
        )
    if report["acknowledgements"]:
        lines += ["", *_wrap(report["acknowledgements"])]
    return "\n".join(line.rstrip() for line in lines) + "\n"


# --------------------------------------------------------------------------- versions


def _next_version(event: GcnEvent, group: Group) -> int:
    latest = CircularDraft.objects.filter(event=event, group=group).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def _save(event, group, user, subject, text, report) -> CircularDraft:
    for _ in range(3):  # two authors saving at once: the loser takes the next number
        try:
            with transaction.atomic():
                return CircularDraft.objects.create(
                    event=event, group=group, version=_next_version(event, group),
                    subject=subject, text=text, report=report, created_by=user,
                )  # fmt: skip
        except IntegrityError:
            continue
    raise CircularError("version", "too many concurrent saves; try again")


def create_draft(user, event: GcnEvent, data) -> CircularDraft:
    """A new version from a document (see :func:`parse_input`); ``text`` replaces the
    generated text when given (an edited draft)."""
    spec = parse_input(user, event, data)
    report = build_report(event, spec)
    text = _text(data.get("text"), "text", MAX_TEXT) if isinstance(data, dict) else ""
    return _save(event, spec.group, user, subject_of(report), text or render_text(report), report)


def edit_draft(user, draft: CircularDraft, text: str) -> CircularDraft:
    """Save an edited text as the next version of ``draft``'s event and group."""
    text = _text(text, "text", MAX_TEXT)
    if not text:
        raise CircularError("text", "the draft needs some text")
    return _save(
        draft.event,
        draft.group,
        user,
        draft.subject,
        text + ("\n" if not text.endswith("\n") else ""),
        draft.report,
    )


def visible_drafts(user):
    return CircularDraft.objects.filter(group__in=access.groups_of(user)).select_related(
        "event", "group"
    )
