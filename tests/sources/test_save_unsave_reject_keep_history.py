"""Saving, unsaving and rejecting are reversible and leave their history behind."""

import pytest

from accounts.access import can_view_target
from sources import actions
from sources.models import Rejection, SavedSource
from tests.sources.conftest import make_candidate, make_target

pytestmark = pytest.mark.django_db


def test_it_saves_in_one_click_to_the_groups_whose_filters_it_passed(alice, group_a, filter_a):
    target = make_target("ZTFone", [group_a])
    make_candidate(target, filter_a)
    created = actions.save_source(alice, target)
    assert [(s.group_id, s.saved_by) for s in created] == [(group_a.id, alice)]
    assert actions.save_source(alice, target) == []  # saving twice changes nothing


def test_it_keeps_every_save_and_unsave_as_history(alice, group_a, filter_a):
    target = make_target("ZTFone", [group_a])
    make_candidate(target, filter_a)
    actions.save_source(alice, target, [group_a.id])
    assert actions.unsave_source(alice, target, [group_a.id]) == 1
    actions.save_source(alice, target, [group_a.id])
    rows = list(SavedSource.objects.filter(target=target).order_by("saved_at"))
    assert len(rows) == 2
    assert rows[0].unsaved_at is not None and rows[0].unsaved_by == alice
    assert rows[1].unsaved_at is None


def test_it_refuses_to_save_to_a_group_i_am_not_in(alice, group_a, group_b, filter_a):
    target = make_target("ZTFone", [group_a])
    with pytest.raises(actions.ActionRefused, match="not a member"):
        actions.save_source(alice, target, [group_b.id])
    assert not SavedSource.objects.exists()


def test_it_shares_the_target_with_a_chosen_group_when_saving(alice, group_a, filter_a):
    second = group_a.__class__.objects.create(name="A2")
    alice.groups.add(second)
    alice._icare_group_ids = None
    target = make_target("ZTFone", [group_a])
    actions.save_source(alice, target, [second.id])
    carol = alice.__class__.objects.create_user("carol")
    carol.groups.add(second)
    assert can_view_target(carol, target)


def test_it_rejects_for_my_groups_and_undoes_with_history(alice, bob, group_a, group_b, filter_a):
    target = make_target("ZTFone", [group_a, group_b])
    actions.reject_source(alice, target)
    assert set(Rejection.objects.active().values_list("group_id", flat=True)) <= {
        g.id for g in alice.groups.all()
    }
    assert not Rejection.objects.active().filter(group=group_b).exists()
    assert actions.undo_rejection(alice, target) >= 1
    actions.reject_source(alice, target)
    history = Rejection.objects.filter(target=target, group=group_a).order_by("rejected_at")
    assert [r.undone_at is None for r in history] == [False, True]


def test_it_records_mentions_of_users_in_the_comment_groups(alice, bob, group_a):
    target = make_target("ZTFone", [group_a])
    dave = alice.__class__.objects.create_user("dave")
    dave.groups.add(group_a)
    comment = actions.add_comment(alice, target, "@dave look at this; @bob too")
    assert list(comment.mentions.values_list("username", flat=True)) == ["dave"]
    assert list(comment.groups.all()) == [group_a]
