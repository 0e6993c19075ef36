"""Each filter of the scanning queue keeps what it should and drops what it should."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sources import actions
from sources.cards import scanning_page
from sources.forms import QueueError, QueueParams, parse_queue_params
from sources.models import Classification, ClassificationVote, Filter, Taxonomy
from tests.sources.conftest import make_candidate, make_target, names

pytestmark = pytest.mark.django_db


def page(user, **params) -> list[str]:
    params.setdefault("window", "all")
    cards, _ = scanning_page(user, QueueParams(**params))
    return names(cards)


def test_it_shows_only_candidates_of_my_groups_filters(alice, group_a, group_b, filter_a, filter_b):
    mine = make_target("ZTFmine", [group_a])
    theirs = make_target("ZTFtheirs", [group_b])
    make_candidate(mine, filter_a)
    make_candidate(theirs, filter_b)
    assert page(alice) == ["ZTFmine"]


def test_it_hides_candidates_whose_target_my_groups_cannot_see(alice, group_b, filter_a):
    # Passed my filter, but the target belongs to another group only: accounts says no.
    hidden = make_target("ZTFhidden", [group_b])
    make_candidate(hidden, filter_a)
    assert page(alice) == []


def test_it_refuses_a_program_that_is_not_mine(alice, group_b, filter_a):
    with pytest.raises(QueueError, match="not a group of yours"):
        page(alice, groups=[group_b.id])


def test_it_narrows_by_program_filter_and_stream(alice, group_a, filter_a, lsst):
    second_group = group_a.__class__.objects.create(name="A2")
    alice.groups.add(second_group)
    alice._icare_group_ids = None
    lsst_filter = Filter.objects.create(name="LSST A2", stream=lsst, group=second_group, topic="t")
    ztf_target = make_target("ZTFone", [group_a])
    lsst_target = make_target("313853", [second_group])
    make_candidate(ztf_target, filter_a)
    make_candidate(lsst_target, lsst_filter)
    fresh = alice.__class__.objects.get(pk=alice.pk)
    assert sorted(page(fresh)) == ["313853", "ZTFone"]
    assert page(fresh, groups=[second_group.id]) == ["313853"]
    assert page(fresh, filters=[filter_a.id]) == ["ZTFone"]
    assert page(fresh, streams=[lsst.id]) == ["313853"]


def test_it_keeps_the_chosen_time_window(alice, group_a, filter_a):
    for name, hours in [("ZTFhour", 1), ("ZTFtwodays", 48), ("ZTFweek", 24 * 7)]:
        make_candidate(make_target(name, [group_a]), filter_a, hours_ago=hours)
    assert page(alice, window="24h") == ["ZTFhour"]
    assert page(alice, window="3n") == ["ZTFhour", "ZTFtwodays"]
    assert page(alice, window="all") == ["ZTFhour", "ZTFtwodays", "ZTFweek"]
    now = timezone.now()
    custom = page(
        alice, window="custom", since=now - timedelta(days=8), until=now - timedelta(days=1)
    )
    assert custom == ["ZTFtwodays", "ZTFweek"]


def test_it_defaults_to_the_last_24_hours_not_saved_and_not_rejected():
    params = parse_queue_params({})
    assert (params.window, params.saved, params.hide_rejected) == ("24h", "unsaved", True)


def test_it_filters_by_saved_status(alice, group_a, filter_a):
    saved = make_target("ZTFsaved", [group_a])
    fresh = make_target("ZTFfresh", [group_a])
    make_candidate(saved, filter_a, hours_ago=2)
    make_candidate(fresh, filter_a, hours_ago=1)
    actions.save_source(alice, saved, [group_a.id])
    assert page(alice) == ["ZTFfresh"]  # default: not saved to any of my groups
    assert page(alice, saved="saved") == ["ZTFsaved"]
    assert page(alice, saved="saved", saved_group=group_a.id) == ["ZTFsaved"]
    assert page(alice, saved="all") == ["ZTFfresh", "ZTFsaved"]
    actions.unsave_source(alice, saved, [group_a.id])
    assert page(alice) == ["ZTFfresh", "ZTFsaved"]


def test_it_includes_and_excludes_classifications(alice, group_a, filter_a):
    taxonomy = Taxonomy.objects.create(name="Fink", version="1", hierarchy={"SN candidate": {}})
    sn = make_target("ZTFsn", [group_a])
    other = make_target("ZTFother", [group_a])
    make_candidate(sn, filter_a, hours_ago=2)
    make_candidate(other, filter_a, hours_ago=1)
    Classification.objects.create(
        target=sn, taxonomy=taxonomy, label="SN candidate", probability=0.9, author_name="Fink"
    )
    assert page(alice, class_in=["SN candidate"]) == ["ZTFsn"]
    assert page(alice, class_out=["SN candidate"]) == ["ZTFother"]


def test_it_separates_labelled_sources_from_unlabelled_ones(alice, bob, group_a, filter_a):
    taxonomy = Taxonomy.objects.create(name="T-labelled", version="1", hierarchy={})
    by_stream, by_person, voted, untouched = (
        make_target(name, [group_a]) for name in ("ZTFstream", "ZTFperson", "ZTFvoted", "ZTFnone")
    )
    for target in (by_stream, by_person, voted, untouched):
        make_candidate(target, filter_a)
    # A stream's label does not make a source labelled; a person's label or vote does.
    Classification.objects.create(
        target=by_stream, taxonomy=taxonomy, label="SN", author_name="Fink ZTF", alert_id=1
    )
    Classification.objects.create(
        target=by_person, taxonomy=taxonomy, label="SN Ia", author=alice, author_name="alice"
    )
    streamed = Classification.objects.create(
        target=voted, taxonomy=taxonomy, label="KN", author_name="Fink ZTF", alert_id=2
    )
    ClassificationVote.objects.create(classification=streamed, voter=bob, vote=1)
    assert sorted(page(alice, labelled="yes")) == ["ZTFperson", "ZTFvoted"]
    assert sorted(page(alice, labelled="no")) == ["ZTFnone", "ZTFstream"]
    assert len(page(alice)) == 4


def test_it_keeps_an_annotation_range_and_ignores_non_numbers(alice, group_a, filter_a):
    for name, score in [("ZTFlow", 0.1), ("ZTFmid", 0.5), ("ZTFhigh", 0.95), ("ZTFtext", "x")]:
        make_candidate(make_target(name, [group_a]), filter_a, annotations={"snn": score})
    make_candidate(make_target("ZTFnone", [group_a]), filter_a)
    assert sorted(page(alice, annotation="snn", annotation_min=0.4, annotation_max=0.9)) == [
        "ZTFmid"
    ]
    assert sorted(page(alice, annotation="snn", annotation_min=0.4)) == ["ZTFhigh", "ZTFmid"]
    assert sorted(page(alice, annotation="snn", annotation_max=0.2)) == ["ZTFlow"]


def test_it_hides_rejected_candidates_unless_asked(alice, group_a, filter_a):
    rejected = make_target("ZTFrejected", [group_a])
    make_candidate(rejected, filter_a, hours_ago=2)
    make_candidate(make_target("ZTFkept", [group_a]), filter_a, hours_ago=1)
    actions.reject_source(alice, rejected)
    assert page(alice) == ["ZTFkept"]
    assert page(alice, hide_rejected=False) == ["ZTFkept", "ZTFrejected"]
    actions.undo_rejection(alice, rejected)
    assert page(alice) == ["ZTFkept", "ZTFrejected"]


def test_it_sorts_by_an_annotation_both_ways(alice, group_a, filter_a):
    for name, score in [("ZTFlow", 0.1), ("ZTFmid", 0.5), ("ZTFhigh", 0.95)]:
        make_candidate(make_target(name, [group_a]), filter_a, annotations={"snn": score})
    assert page(alice, sort="snn") == ["ZTFhigh", "ZTFmid", "ZTFlow"]
    assert page(alice, sort="snn", descending=False) == ["ZTFlow", "ZTFmid", "ZTFhigh"]


def test_it_sorts_by_arrival_independently_of_observation_time(alice, group_a, filter_a):
    # Observed long ago but just arrived (a late alert) comes first by arrival.
    late = make_candidate(make_target("ZTFlate", [group_a]), filter_a, hours_ago=20)
    early = make_candidate(make_target("ZTFearly", [group_a]), filter_a, hours_ago=1)
    late.ingested_at = early.ingested_at + timedelta(seconds=5)
    late.save(update_fields=["ingested_at"])
    assert page(alice, sort="passed") == ["ZTFearly", "ZTFlate"]
    assert page(alice, sort="arrived") == ["ZTFlate", "ZTFearly"]


@pytest.mark.parametrize("sort", ["passed", "arrived", "snn"])
@pytest.mark.parametrize("descending", [True, False])
def test_it_pages_with_a_keyset_cursor_without_gaps_or_repeats(
    alice, group_a, filter_a, sort, descending
):
    expected = []
    for i in range(23):
        # Ties on purpose: the id breaks them.
        candidate = make_candidate(
            make_target(f"ZTF{i:03d}", [group_a]), filter_a, annotations={"snn": (i // 3) / 10}
        )
        expected.append(candidate.target.name)
    seen, cursor = [], None
    while True:
        cards, cursor = scanning_page(
            alice,
            QueueParams(window="all", sort=sort, descending=descending, cursor=cursor, page_size=5),
        )
        seen.extend(names(cards))
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_it_rejects_a_forged_cursor_and_bad_parameters(alice):
    with pytest.raises(QueueError, match="cursor"):
        scanning_page(alice, QueueParams(window="all", cursor="not-a-cursor"))
    with pytest.raises(QueueError, match="ann"):
        parse_queue_params({"ann": "x'; drop table"})
    with pytest.raises(QueueError, match="page_size"):
        parse_queue_params({"page_size": "100000"})
    with pytest.raises(QueueError, match="since"):
        parse_queue_params({"window": "custom"})
