"""What a card shows of a broker's added values, and where it links, per survey.

``sources`` knows no broker: each broker app registers, from its ``AppConfig.ready()``, the
annotation keys a scanner reads first for a survey (with their labels) and a function giving
its own portal links (as cutout stores are registered in ``sources.cutouts``). Links that
only need a position (TNS, Legacy Survey, Aladin) are the same for every survey.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SurveyLinks = Callable[[str, float, float], dict[str, str]]

# Values that mean "nothing known" in broker annotations.
EMPTY_VALUES = (None, "", "nan", "Unknown", "None", "null")


@dataclass(frozen=True)
class SurveyDisplay:
    key_values: tuple[tuple[str, str], ...]
    links: SurveyLinks | None


_displays: dict[str, SurveyDisplay] = {}


def register_survey_display(
    survey: str, key_values: Sequence[tuple[str, str]], links: SurveyLinks | None = None
) -> None:
    """For ``survey``: the annotation keys shown on cards, in order, as ``(key, label)``,
    and ``links(name, ra_deg, dec_deg) -> {label: url}`` to the broker's own pages."""
    _displays[survey] = SurveyDisplay(tuple(key_values), links)


def display_value(value: Any) -> str:
    """An annotation as a scanner reads it: 3 decimals for scores, yes/no for flags."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def key_values(survey: str, annotations: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The registered values of ``survey`` present in ``annotations``: ``(label, text)``."""
    display = _displays.get(survey)
    if display is None or not annotations:
        return []
    return [
        (label, display_value(annotations[key]))
        for key, label in display.key_values
        if annotations.get(key) not in EMPTY_VALUES
    ]


def annotation_keys() -> list[str]:
    """Every registered key (the queue form offers them for ranges and sorts)."""
    return sorted({key for d in _displays.values() for key, _ in d.key_values})


def position_links(ra: float, dec: float) -> dict[str, str]:
    """Catalogue and image services that need only a position (ICRS degrees)."""
    return {
        "TNS": (
            f"https://www.wis-tns.org/search?ra={ra:.6f}&decl={dec:.6f}&radius=5&coords_unit=arcsec"
        ),
        "Legacy Survey": f"https://www.legacysurvey.org/viewer?ra={ra:.6f}&dec={dec:+.6f}&zoom=16",
        "Aladin": f"https://aladin.cds.unistra.fr/AladinLite/?target={ra:.6f}%20{dec:+.6f}&fov=0.05",
    }


def external_links(survey: str, name: str, ra: float, dec: float) -> dict[str, str]:
    """The survey's broker links (if one registered) then the position links."""
    display = _displays.get(survey)
    links = dict(display.links(name, ra, dec)) if display and display.links else {}
    links.update(position_links(ra, dec))
    return links
