"""What a scanner does to a source: save/unsave to groups, reject/undo, classify, vote,
comment, tag. Each function checks the user's rights through ``accounts.access`` and raises
:class:`ActionRefused` (a message for the user) instead of touching other groups' data."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from tom_targets.models import Target

from accounts import acl
from accounts.access import (
    grant_view,
    groups_of,
    groups_seeing,
    has_acl,
    may_add_groups,
    may_scan,
)
from accounts.refusals import Forbidden, Refused
from notifications import kinds
from notifications.services import notify
from sources.links import source_url
from sources.models import (
    Classification,
    ClassificationVote,
    Comment,
    Rejection,
    SavedSource,
    SourceTag,
    Taxonomy,
)
from sources.state import target_state

# ``@name``: a user name (letters, digits, . + - _), not ending with the sentence's full stop.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{0,149}[\w+-])")
MAX_COMMENT_CHARS = 10_000


class ActionRefused(Refused):
    """The request cannot be done as asked (400); the message says why."""


class ActionForbidden(ActionRefused, Forbidden):
    """The user may not do this (403): a group they are not in, a role without the ACL."""


def require_acl(user, name: str) -> None:
    """Refuse unless the user's roles or grants carry the ACL ``name`` (see accounts.acl)."""
    if not has_acl(user, name):
        raise ActionForbidden(f"your role does not allow this (needs the {name!r} permission)")


def my_group_ids(user) -> set[int]:
    return set(groups_of(user).values_list("id", flat=True))


def require_scanner(user) -> None:
    """Saving and rejecting change what every member of a group sees: not for View only."""
    if not may_scan(user):
        raise ActionForbidden("your role does not allow saving or rejecting sources")


def _checked_groups(user, group_ids) -> list[int]:
    try:
        requested = {int(g) for g in group_ids}
    except (TypeError, ValueError):
        raise ActionRefused("group ids must be integers") from None
    if any(not 0 < g < 2**63 for g in requested):
        raise ActionRefused("no such group")
    foreign = requested - my_group_ids(user)
    if foreign:
        raise ActionForbidden(f"you are not a member of group(s) {sorted(foreign)}")
    if not requested:
        raise ActionRefused("choose at least one group")
    return sorted(requested)


def passed_groups(user, target: Target) -> list[int]:
    """The user's groups whose filters this target passed: where one click saves it."""
    return target_state(user, target.id).passed_groups


@transaction.atomic
def save_source(user, target: Target, group_ids=None) -> list[SavedSource]:
    """Save ``target`` to ``group_ids`` (default: the groups whose filters it passed).
    Already-saved groups are left as they are; the groups get view permission on it.
    Saving to the sitewide group publishes the target, so it needs the publishing right."""
    require_scanner(user)
    groups = _checked_groups(user, passed_groups(user, target) if group_ids is None else group_ids)
    if not may_add_groups(user, target, groups):
        raise ActionForbidden(
            "saving to the sitewide group publishes the source: only those who may publish "
            "it may do that"
        )
    created = SavedSource.objects.open_for(target, groups, by=user)
    grant_view(target, groups)
    return created


@transaction.atomic
def unsave_source(user, target: Target, group_ids=None) -> int:
    """Close the active saves of ``target`` in ``group_ids`` (default: all the user's
    groups). The rows stay as history. Returns how many were closed."""
    require_scanner(user)
    groups = _checked_groups(user, my_group_ids(user) if group_ids is None else group_ids)
    return SavedSource.objects.close_for(target, groups, by=user)


@transaction.atomic
def reject_source(user, target: Target, group_ids=None) -> list[Rejection]:
    """Hide ``target`` from the queues of ``group_ids`` (default: the user's groups whose
    filters it passed — not every group the user is in, e.g. a site-wide one — or all the
    user's groups when it passed none)."""
    if group_ids is None:
        group_ids = passed_groups(user, target) or my_group_ids(user)
    require_scanner(user)
    groups = _checked_groups(user, group_ids)
    return Rejection.objects.open_for(target, groups, by=user)


@transaction.atomic
def undo_rejection(user, target: Target, group_ids=None) -> int:
    require_scanner(user)
    groups = _checked_groups(user, my_group_ids(user) if group_ids is None else group_ids)
    return Rejection.objects.close_for(target, groups, by=user)


@transaction.atomic
def classify(
    user, target: Target, taxonomy: Taxonomy, label: str, probability: float | None
) -> Classification:
    """A person's label in ``taxonomy``, shared with the user's groups that see the target."""
    require_acl(user, acl.CLASSIFY)
    if label not in taxonomy_labels(taxonomy):
        raise ActionRefused(f"{label!r} is not a class of {taxonomy}")
    if probability is not None and not 0.0 <= probability <= 1.0:
        raise ActionRefused("probability must be between 0 and 1")
    classification = Classification.objects.create(
        target=target,
        taxonomy=taxonomy,
        label=label,
        probability=probability,
        author=user,
        author_name=user.get_username(),
    )
    groups = _groups_seeing(user, target)
    classification.groups.set(groups)
    _notify_classification(user, target, classification, groups)
    return classification


def _notify_classification(user, target: Target, classification: Classification, groups) -> None:
    """Tell the members of the groups that have ``target`` saved and see the label."""
    saved_in = SavedSource.objects.filter(
        target=target, group_id__in=groups, unsaved_at__isnull=True
    ).values("group_id")
    members = (
        get_user_model()
        .objects.filter(groups__id__in=saved_in, is_active=True)
        .exclude(pk=user.pk)
        .values_list("pk", flat=True)
        .distinct()
    )
    notify(
        list(members),
        kinds.CLASSIFICATION,
        f"{user.get_username()} classified {target.name} as {classification.label}",
        source_url(target.name),
        dedupe_key=f"classification:{classification.pk}",
        label=classification.label,
    )


def taxonomy_labels(taxonomy: Taxonomy) -> list[str]:
    """Every class of a taxonomy, parents before children (depth-first)."""
    labels: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for name, children in node.items():
                labels.append(name)
                walk(children)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str):
                    labels.append(item)
                else:
                    walk(item)

    walk(taxonomy.hierarchy)
    return labels


def vote(user, classification: Classification, value: int) -> ClassificationVote:
    require_acl(user, acl.CLASSIFY)
    if value not in (1, -1):
        raise ActionRefused("a vote is +1 or -1")
    vote_row, _ = ClassificationVote.objects.update_or_create(
        classification=classification, voter=user, defaults={"vote": value}
    )
    return vote_row


def _groups_seeing(user, target: Target) -> list[int]:
    return list(groups_seeing(user, target).values_list("id", flat=True))


def mentioned_users(text: str) -> QuerySet:
    """Active users named with ``@username`` in ``text`` (every one of them, any case)."""
    names = {name.lower() for name in MENTION.findall(text)}
    return (
        get_user_model()
        .objects.annotate(username_lower=Lower("username"))
        .filter(username_lower__in=names, is_active=True)
    )


@transaction.atomic
def add_comment(user, target: Target, text: str, group_ids=None) -> Comment:
    """A comment for ``group_ids`` (default: the user's groups that see the target);
    ``@username`` mentions of users in those groups are recorded."""
    require_acl(user, acl.COMMENT)
    text = text.strip()
    if not text:
        raise ActionRefused("a comment needs some text")
    if len(text) > MAX_COMMENT_CHARS:
        raise ActionRefused(f"a comment has at most {MAX_COMMENT_CHARS} characters")
    groups = _checked_groups(user, _groups_seeing(user, target) if group_ids is None else group_ids)
    comment = Comment.objects.create(target=target, author=user, text=text)
    comment.groups.set(groups)
    # Everyone named who may read the comment: a member of one of its groups.
    mentioned = list(mentioned_users(text).filter(groups__id__in=groups).distinct())
    comment.mentions.set(mentioned)
    notify(
        [u for u in mentioned if u.pk != user.pk],
        kinds.MENTION,
        f"{user.get_username()} mentioned you on {target.name}: {text[:200]}",
        f"{source_url(target.name)}#comment-{comment.pk}",
        dedupe_key=f"comment:{comment.pk}",
    )
    return comment


def add_tag(user, target: Target, group_id: int, name: str) -> SourceTag:
    require_acl(user, acl.ANNOTATE)
    name = name.strip()
    if not name:
        raise ActionRefused("a tag needs a name")
    (group,) = _checked_groups(user, [group_id])
    tag, _ = SourceTag.objects.get_or_create(
        target=target, group_id=group, name=name[:60], defaults={"created_by": user}
    )
    return tag
