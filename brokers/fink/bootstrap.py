"""Idempotent setup of what Fink alerts hang on: the owning group, one stream per
survey, one filter per topic, and the Fink taxonomy.

Run by ``python manage.py fink_bootstrap`` and by every consumer at startup; safe to
run concurrently (every write is an upsert keyed on a unique constraint) and as often
as wanted: existing rows are reused, the taxonomy is rewritten only when its version
changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from brokers.fink.taxonomy import FINK_TAXONOMY, FINK_TAXONOMY_VERSION
from sources.models import Filter, Stream, Taxonomy

DEFAULT_GROUP = "Fink"
TAXONOMY_NAME = "Fink"
TAXONOMY_PROVENANCE = "Fink broker classes, LSST CATS classes, TNS and SIMBAD object types"
STREAM_NAMES = {"ztf": "Fink ZTF", "lsst": "Fink LSST"}
STREAM_DESCRIPTIONS = {
    "ztf": "Zwicky Transient Facility alerts filtered and classified by Fink",
    "lsst": "Rubin Observatory LSST alerts filtered and classified by Fink",
}


@dataclass(frozen=True)
class FinkSetup:
    """Ids of the rows a survey's alerts are written against."""

    survey: str
    group_id: int
    stream_id: int
    stream_name: str
    taxonomy_id: int
    filter_ids: dict[str, int]  # topic → filter id


def stream_name(survey: str) -> str:
    """Name of the stream of ``survey`` (``ztf`` → ``Fink ZTF``)."""
    try:
        return STREAM_NAMES[survey]
    except KeyError:
        raise ValueError(
            f"unknown survey {survey!r}; expected one of {sorted(STREAM_NAMES)}"
        ) from None


def ensure_taxonomy() -> Taxonomy:
    """The Fink taxonomy at :data:`FINK_TAXONOMY_VERSION` (created, or updated if older)."""
    taxonomy, created = Taxonomy.objects.get_or_create(
        name=TAXONOMY_NAME,
        defaults={
            "version": FINK_TAXONOMY_VERSION,
            "hierarchy": FINK_TAXONOMY,
            "provenance": TAXONOMY_PROVENANCE,
        },
    )
    if not created and taxonomy.version != FINK_TAXONOMY_VERSION:
        taxonomy.version = FINK_TAXONOMY_VERSION
        taxonomy.hierarchy = FINK_TAXONOMY
        taxonomy.provenance = TAXONOMY_PROVENANCE
        taxonomy.save(update_fields=["version", "hierarchy", "provenance", "updated"])
    return taxonomy


def ensure_filter(stream: Stream, group: Group, topic: str) -> Filter:
    """The filter of ``topic`` on ``stream`` feeding ``group``'s scanning queue."""
    found, _ = Filter.objects.get_or_create(
        stream=stream, group=group, topic=topic, defaults={"name": topic}
    )
    return found


def bootstrap(
    survey: str, topics: Iterable[str] = (), group_name: str = DEFAULT_GROUP
) -> FinkSetup:
    """Create (or find) the group, the survey's stream, a filter per topic and the taxonomy.

    Idempotent; returns the ids the ingest writes against.
    """
    name = stream_name(survey)
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=group_name)
        stream, _ = Stream.objects.get_or_create(
            name=name, defaults={"survey": survey, "description": STREAM_DESCRIPTIONS[survey]}
        )
        taxonomy = ensure_taxonomy()
        filter_ids = {topic: ensure_filter(stream, group, topic).id for topic in topics}
        # Filters created earlier (other topics) keep feeding the group too.
        filter_ids.update(
            Filter.objects.filter(stream=stream, group=group)
            .exclude(topic__in=list(filter_ids))
            .values_list("topic", "id")
        )
    return FinkSetup(
        survey=survey,
        group_id=group.id,
        stream_id=stream.id,
        stream_name=stream.name,
        taxonomy_id=taxonomy.id,
        filter_ids=filter_ids,
    )
