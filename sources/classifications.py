"""Classifications a user may read, and how a page shows them: one row per classifier and
label with its latest probability, the earlier values on demand, votes on that row."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.access import groups_of, visible_to
from sources.models import Classification, ClassificationVote


def visible_classifications(user) -> QuerySet[Classification]:
    """Classifications the user may read: stream labels and labels shared with their groups
    (the target itself is checked through ``visible_to``)."""
    shared = Group.objects.filter(
        classifications=OuterRef("pk"), id__in=groups_of(user).values("id")
    )
    unscoped = Group.objects.filter(classifications=OuterRef("pk"))
    queryset = visible_to(user, Classification.objects.all())
    if user.is_superuser:
        return queryset
    return queryset.filter(Q(Exists(shared)) | ~Exists(unscoped))


@dataclass
class ClassificationRow:
    """One classifier's label on a target: the latest classification (what votes address)
    and the earlier ones, newest first."""

    latest: Classification
    history: list[Classification] = field(default_factory=list)
    score: int = 0
    n_votes: int = 0
    my_vote: int = 0

    @property
    def label(self) -> str:
        return self.latest.label

    @property
    def author_name(self) -> str:
        return self.latest.author_name

    @property
    def count(self) -> int:
        return 1 + len(self.history)


def classification_rows(user, target) -> list[ClassificationRow]:
    """The target's classifications the user may read, grouped by (taxonomy, classifier,
    label), newest row first. Votes of all the group's rows count on the row (a vote on an
    earlier alert's label is a vote on that label). Two queries."""
    classifications = list(
        visible_classifications(user)
        .filter(target=target)
        .select_related("taxonomy")
        .order_by("-created", "-id")
    )
    rows: dict[tuple, ClassificationRow] = {}
    row_of: dict[int, ClassificationRow] = {}
    for classification in classifications:
        key = (classification.taxonomy_id, classification.author_name, classification.label)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ClassificationRow(latest=classification)
        else:
            row.history.append(classification)
        row_of[classification.id] = row
    for classification_id, voter_id, value in ClassificationVote.objects.filter(
        classification_id__in=list(row_of)
    ).values_list("classification_id", "voter_id", "vote"):
        row = row_of[classification_id]
        row.score += value
        row.n_votes += 1
        if voter_id == user.id:
            row.my_vote = value
    return list(rows.values())
