"""The window rule (first detection in [t0 - 1 d, t0 + 14 d]), recorded matches, source pages."""

from datetime import timedelta

import healpy as hp
import pytest
from django.utils import timezone

from gcn import crossmatch, services, skymaps, tasks
from gcn.models import GcnEvent, SourceMatch


@pytest.fixture
def lvk_event(read_shared, db):
    result = services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    return result.event, result.localizations[0]


def central_position(loc):
    """(ra, dec) of the densest tile of a stored localization."""
    lower = loc.tiles.order_by("-probdensity").values_list("lower", flat=True).first()
    ra, dec = hp.pix2ang(skymaps.NSIDE_MAX, lower, nest=True, lonlat=True)
    return float(ra), float(dec)


@pytest.mark.django_db
def test_it_keeps_only_sources_first_detected_within_the_window(
    lvk_event, make_source, alice, group_a
):
    event, loc = lvk_event
    ra, dec = central_position(loc)
    t0 = crossmatch.to_mjd(event.trigger_time)
    offsets = {"early": -1.5, "just-before": -0.9, "at-t0": 0.0, "day-13": 13.9, "late": 14.2}
    for name, offset in offsets.items():
        make_source(name, ra, dec, t0 + offset, groups=[group_a])
    make_source("outside", (ra + 180) % 360, -dec, t0 + 1, groups=[group_a])

    names = {t.name for t in crossmatch.matching_targets(loc, alice)}
    assert names == {"just-before", "at-t0", "day-13"}
    everything = {t.name for t in crossmatch.matching_targets(loc, alice, window=False)}
    assert everything == set(offsets)


@pytest.mark.django_db
def test_it_follows_a_configured_window(lvk_event, make_source, alice, group_a, settings):
    event, loc = lvk_event
    ra, dec = central_position(loc)
    t0 = crossmatch.to_mjd(event.trigger_time)
    make_source("day-3", ra, dec, t0 + 3, groups=[group_a])
    settings.GCN_CROSSMATCH_WINDOW_DAYS = (0, 2)
    assert crossmatch.matching_targets(loc, alice) == []
    settings.GCN_CROSSMATCH_WINDOW_DAYS = (0, 5)
    assert [t.name for t in crossmatch.matching_targets(loc, alice)] == ["day-3"]


@pytest.mark.django_db
def test_it_records_matches_when_the_map_arrives_and_for_later_candidates(
    lvk_event, make_source, group_a
):
    event, loc = lvk_event
    # Make the event active (triggered an hour ago) and keep positions from the map.
    event.trigger_time = timezone.now() - timedelta(hours=1)
    event.retracted = False
    event.save()
    ra, dec = central_position(loc)
    t0 = crossmatch.to_mjd(event.trigger_time)
    first = make_source("early-bird", ra, dec, t0 + 0.01, groups=[group_a])
    assert tasks.crossmatch_localization(loc.pk) == 1
    assert list(SourceMatch.objects.values_list("target__name", flat=True)) == ["early-bird"]

    make_source("newcomer", ra, dec, t0 + 0.02, groups=[group_a])
    assert list(crossmatch.active_events()) == [event]
    assert tasks.crossmatch_active_events() == 1  # only the new one
    assert SourceMatch.objects.count() == 2
    assert tasks.crossmatch_active_events() == 0  # idempotent
    match = SourceMatch.objects.get(target=first)
    assert 0 < match.cumprob <= 0.9

    event.retracted = True
    event.save()
    assert list(crossmatch.active_events()) == []


@pytest.mark.django_db
def test_it_tells_a_source_page_which_regions_hold_the_source(
    lvk_event, make_source, alice, bob, group_a
):
    event, loc = lvk_event
    ra, dec = central_position(loc)
    t0 = crossmatch.to_mjd(event.trigger_time)
    inside = make_source("inside", ra, dec, t0 + 2, groups=[group_a])
    outside = make_source("outside", (ra + 180) % 360, -dec, t0 + 2, groups=[group_a])
    too_late = make_source("too-late", ra, dec, t0 + 30, groups=[group_a])

    found = crossmatch.events_containing(inside, alice)
    assert [(c.event.name, c.localization.pk) for c in found] == [("MS181101ab", loc.pk)]
    assert str(found[0]) == f"inside the {found[0].cumprob:.0%} region of MS181101ab"
    assert crossmatch.events_containing(outside, alice) == []
    assert crossmatch.events_containing(too_late, alice) == []
    assert crossmatch.events_containing(inside, bob) == []  # not bob's source
    GcnEvent.objects.filter(pk=event.pk).update(retracted=True)
    assert crossmatch.events_containing(inside, alice) == []


@pytest.mark.django_db
def test_it_renders_the_source_page_snippet(lvk_event, make_source, alice, bob, group_a):
    from django.template import Context, Template

    event, loc = lvk_event
    ra, dec = central_position(loc)
    target = make_source("inside", ra, dec, crossmatch.to_mjd(event.trigger_time) + 1, [group_a])
    snippet = Template("{% load gcn_tags %}{% gcn_regions target %}")
    html = snippet.render(Context({"target": target, "user": alice}))
    assert "inside the 90 % region of" in html and "MS181101ab" in html
    assert f"?localization={loc.pk}" in html
    assert "MS181101ab" not in snippet.render(Context({"target": target, "user": bob}))
