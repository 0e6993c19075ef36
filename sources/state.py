"""Where a target stands for a user's groups: saved to which, passed whose filters,
rejected or not. The one answer the queue cards, the action bar and the source page share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from accounts.access import groups_of
from sources.models import Candidate, Rejection, SavedSource


@dataclass
class TargetState:
    saved_groups: list[int] = field(default_factory=list)
    passed_groups: list[int] = field(default_factory=list)
    rejected: bool = False


def target_states(
    user, target_ids: Iterable[int], group_ids: Iterable[int] | None = None
) -> dict[int, TargetState]:
    """The state of each target for the user's groups (``group_ids`` when the caller already
    has them), in three queries whatever the number of targets."""
    target_ids = list(set(target_ids))
    my_groups = (
        list(group_ids)
        if group_ids is not None
        else list(groups_of(user).values_list("id", flat=True))
    )
    states = {t: TargetState() for t in target_ids}
    if not target_ids:
        return states
    saved: dict[int, set[int]] = defaultdict(set)
    for target_id, group_id in SavedSource.objects.filter(
        target_id__in=target_ids, group_id__in=my_groups, unsaved_at__isnull=True
    ).values_list("target_id", "group_id"):
        saved[target_id].add(group_id)
    passed: dict[int, set[int]] = defaultdict(set)
    for target_id, group_id in (
        Candidate.objects.filter(target_id__in=target_ids, filter__group_id__in=my_groups)
        .values_list("target_id", "filter__group_id")
        .distinct()
    ):
        passed[target_id].add(group_id)
    rejected = set(
        Rejection.objects.active()
        .filter(target_id__in=target_ids, group_id__in=my_groups)
        .values_list("target_id", flat=True)
    )
    for target_id, state in states.items():
        state.saved_groups = sorted(saved.get(target_id, ()))
        state.passed_groups = sorted(passed.get(target_id, ()))
        state.rejected = target_id in rejected
    return states


def target_state(user, target_id: int) -> TargetState:
    return target_states(user, [target_id])[target_id]
