"""HTML of queue cards and their action bars.

Written as Python string building rather than a Django template on purpose: a page renders
50 cards on the scanning hot path, and the template engine's per-variable lookups cost
several times more than the queries behind the page. Every value that is not a number
produced here goes through ``escape``.
"""

from __future__ import annotations

from urllib.parse import quote

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from sources.lightcurves import band_legend, sparkline_svg
from sources.queries import CandidateCard

CUTOUT_KINDS = ("science", "template", "difference")


def _csrf_input(csrf_token: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'


def _action_form(url: str, target_id: int, csrf_token: str, inner: str, css: str = "") -> str:
    return (
        f'<form method="post" action="{url}" hx-post="{url}" hx-target="#actions-{target_id}" '
        f'hx-swap="outerHTML" class="{css}">{_csrf_input(csrf_token)}{inner}</form>'
    )


def render_actions(
    *,
    target_id: int,
    name: str,
    saved_groups: list[int],
    passed_groups: list[int],
    rejected: bool,
    group_names: dict[int, str],
    csrf_token: str,
    message: str | None = None,
) -> SafeString:
    """The action bar of a source: save (one click) / unsave, choose groups, reject / undo."""
    base = f"/sources/{quote(name, safe='')}/"

    def label(group_id: int) -> str:
        return escape(group_names.get(group_id, str(group_id)))

    parts = [f'<div class="actions" id="actions-{target_id}" data-target="{target_id}">']
    if saved_groups:
        chips = "".join(f'<span class="chip">{label(g)}</span>' for g in saved_groups)
        parts.append(f'<span class="saved-to">saved to {chips}</span>')
        parts.append(
            _action_form(
                f"{base}unsave/",
                target_id,
                csrf_token,
                '<button class="unsave-btn">unsave</button>',
                "inline",
            )
        )
    else:
        hidden = "".join(f'<input type="hidden" name="group" value="{g}">' for g in passed_groups)
        if passed_groups:
            button = (
                '<button class="primary save-btn">save to '
                + ", ".join(label(g) for g in passed_groups)
                + "</button>"
            )
        else:
            button = (
                '<button class="primary save-btn" disabled title="passed none of your groups\' '
                'filters: choose groups">save</button>'
            )
        parts.append(
            _action_form(f"{base}save/", target_id, csrf_token, hidden + button, "inline save-form")
        )
    boxes = "".join(
        f'<label class="check"><input type="checkbox" name="group" value="{gid}"'
        f"{' checked disabled' if gid in saved_groups else ''}> {escape(gname)}</label>"
        for gid, gname in group_names.items()
    )
    parts.append(
        '<details class="choose-groups"><summary>choose groups…</summary>'
        + _action_form(
            f"{base}save/", target_id, csrf_token, boxes + "<button>save to selected</button>"
        )
        + "</details>"
    )
    if rejected:
        parts.append('<span class="chip rejected-chip">rejected</span>')
        parts.append(
            _action_form(
                f"{base}unreject/",
                target_id,
                csrf_token,
                '<button class="undo-btn">undo reject</button>',
                "inline",
            )
        )
    else:
        parts.append(
            _action_form(
                f"{base}reject/",
                target_id,
                csrf_token,
                '<button class="reject-btn">reject</button>',
                "inline",
            )
        )
    if message:
        parts.append(f'<span class="error" role="alert">{escape(message)}</span>')
    parts.append("</div>")
    return mark_safe("".join(parts))


def render_card(
    card: CandidateCard, group_names: dict[int, str], csrf_token: str, live: bool = False
) -> SafeString:
    """One candidate card: identity, coordinates, class and Fink values, links, cutouts,
    light curve in magnitude and flux (CSS shows one), actions."""
    candidate = card.candidate
    target = candidate.target
    summary = getattr(target, "summary", None)
    name = escape(target.name)
    classes = "card" + (" rejected" if card.rejected else "") + (" live-new" if live else "")
    rows = [
        f'<div><span class="label">RA, Dec</span> <span class="mono">{card.ra_hms} '
        f"{card.dec_dms}</span></div>",
        f'<div><span class="label">deg</span> <span class="mono">{card.degrees}</span></div>',
        f'<div><span class="label">b</span> <span class="mono">{card.galactic_b_text}°</span>'
        "</div>",
    ]
    if summary is not None:
        rows.append(
            f'<div><span class="label">first / last</span> <span class="mono">'
            f"{card.detections_text}</span></div>"
        )
        flag = ' · <span class="flag">solar system</span>' if summary.is_solar_system else ""
        rows.append(
            f'<div><span class="label">detections</span> {summary.n_detections}{flag}</div>'
        )
    if card.classification is not None:
        probability = (
            f' <span class="prob">{card.probability_text}</span>' if card.probability_text else ""
        )
        rows.append(
            f'<div class="classification"><span class="label">class</span> '
            f"<strong>{escape(card.classification.label)}</strong>{probability} "
            f'<span class="muted">({escape(card.classification.author_name)})</span></div>'
        )
    values = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in card.key_values
    )
    rows.append(f'<dl class="key-values">{values}</dl>')
    links = "".join(
        f'<a href="{escape(url)}" target="_blank" rel="noopener">{escape(label)}</a>'
        for label, url in card.links.items()
    )
    rows.append(f'<div class="links">{links}</div>')
    cutouts = "".join(
        f'<figure><img loading="lazy" src="/cutouts/{candidate.alert_id}/{kind}.png" '
        f'alt="{kind}" width="96" height="96" onerror="this.classList.add(\'missing\')">'
        f"<figcaption>{kind}</figcaption></figure>"
        for kind in CUTOUT_KINDS
    )
    passed = candidate.passed_at.strftime("%Y-%m-%d %H:%M")
    actions = render_actions(
        target_id=target.id,
        name=target.name,
        saved_groups=card.saved_groups,
        passed_groups=card.passed_groups,
        rejected=card.rejected,
        group_names=group_names,
        csrf_token=csrf_token,
    )
    return mark_safe(
        f'<article class="{classes}" id="candidate-{candidate.id}" '
        f'data-candidate="{candidate.id}" data-name="{name}" tabindex="-1">'
        f'<header><h2><a href="/sources/{escape(quote(target.name, safe=""))}/" '
        f'class="open-source">{name}</a></h2>'
        f'<span class="muted">{escape(candidate.filter.stream.name)} · '
        f"{escape(candidate.filter.name)} · passed {passed} UTC</span></header>"
        f'<div class="card-body"><div class="coords">{"".join(rows)}</div>'
        f'<div class="cutouts">{cutouts}</div>'
        f'<div class="lightcurve">{sparkline_svg(card.photometry, "mag")}'
        f"{sparkline_svg(card.photometry, 'flux')}"
        f'<div class="legend">{band_legend(card.photometry)}</div></div></div>'
        f"{actions}</article>"
    )
