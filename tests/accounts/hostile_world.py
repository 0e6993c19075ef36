"""Group A's world written by an attacker: one object of every model whose text some page
renders, each free-text field (CharField, TextField, arrays of them) holding a hostile value.

Every object gets the same primary key (``ID``), so the URL walk fills any ``<pk>``,
``<shift_id>`` or ``<draft_id>`` with one value and reaches the object it names. Fields a
new model adds are filled by ``fill`` without touching this module; only the fields that
steer the code (a survey, a plugin name, a status) are given explicitly.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import zstandard
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.utils import timezone

from accounts import acl, services
from tests.accounts.attack import HOSTILE
from tests.people import make_user

ID = 424242
# Names that are part of URLs (a target's, an event's) cannot hold "/": this one still
# carries the tag, quotes and ampersand.
HOSTILE_NAME = "<img src=x onerror=alert(1)>\"'&"
# For fields too short for HOSTILE (bands, filters, units, prefixes).
HOSTILE_SHORT = "<x-h>\"'&"
SHORT_MARKER = "<x-h>"
# What shows that user text reached an executable inline script, escaped or not.
SCRIPT_MARKERS = ("onerror=alert(1)", "x-h&gt;", "x-h>")


def hostile_for(field: models.Field, label: str) -> str | None:
    """The longest hostile value fitting the field (None when none fits), followed by the
    field's label where that fits too (so a page showing it tells which field it was)."""
    limit = getattr(field, "max_length", None) or 10**6
    for value in (f"{HOSTILE} {label}", HOSTILE, HOSTILE_NAME, HOSTILE_SHORT):
        if len(value) <= limit:
            if label in value:
                FILLED.add(label)
            return value
    return None


# labels ("app.Model.field") of the fields holding a labelled hostile value
FILLED: set[str] = set()


def _free_text(field) -> bool:
    return (
        isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and field.editable
        and not field.primary_key
    )


def fill(model: type[models.Model], **given):
    """Create ``model`` with primary key ``ID``: ``given`` values, every other free-text
    field (and array of free text) hostile."""
    values = {}
    for field in model._meta.concrete_fields:
        if field.name in given or field.attname in given:
            continue
        label = f"{model._meta.label}.{field.name}"
        if _free_text(field):
            value = hostile_for(field, label)
        elif isinstance(field, ArrayField) and _free_text(field.base_field):
            value = hostile_for(field.base_field, label)
            value = [value] if value is not None else None
        else:
            continue
        if value is not None:
            values[field.name] = value
    values.update(given)
    if model._meta.pk.name != "pk":  # composite keys have no single id
        values.setdefault("pk", ID)
    return model.objects.create(**values)


WHOLE_SKY = (0, 12 * 4**29)  # every order-29 nested HEALPix index


def _whole_sky_tile(localization) -> None:
    """One tile over the whole sky: the crossmatch finds the sources and galaxies in it."""
    from gcn.models import LocalizationTile

    LocalizationTile.objects.create(
        localization=localization,
        lower=WHOLE_SKY[0],
        upper=WHOLE_SKY[1],
        healpix=NumericRange(*WHOLE_SKY),
        probdensity=1.0,
        cumprob=0.5,
        distmu=40.0,
        distsigma=10.0,
        distnorm=1e-3,
    )


def build(group_a, alice) -> dict:
    """Every object, in group A (renamed hostile); ``alice`` is one of its members."""
    from django_comments.models import Comment as TomComment
    from tom_common.models import Profile
    from tom_observations.models import ObservationRecord
    from tom_targets.models import Target, TargetExtra, TargetList, TargetName

    from accounts.models import JoinRequest, PublicLink
    from accounts.models import Notification as AccountNotice
    from brokers.models import ArchivedAlert, QuarantinedAlert
    from facilities.models import (
        Allocation,
        FacilityExchange,
        FollowupRequest,
        Instrument,
        InstrumentField,
        RobotToken,
        Telescope,
    )
    from gcn.models import (
        CircularDraft,
        Galaxy,
        GalaxyCatalog,
        GcnEvent,
        GcnNotice,
        GcnQuarantine,
        Localization,
        SourceMatch,
    )
    from notifications.models import (
        ChannelAddress,
        Delivery,
        GcnProfile,
        GroupChannel,
        Notification,
        Preference,
        SavedView,
    )
    from planning.models import (
        DefaultPlanRequest,
        ExecutedObservation,
        ObservationPlanRequest,
        PlannedObservation,
        PlanStatus,
    )
    from shifts.models import CalendarToken, ReplacementRequest, Shift, ShiftMember, ShiftSeries
    from sources import sky
    from sources.models import (
        Candidate,
        Classification,
        Comment,
        Filter,
        Photometry,
        PhotometryGroup,
        PhotometryValidation,
        SavedSource,
        SourceTag,
        Spectrum,
        Stream,
        TargetSummary,
        Taxonomy,
    )

    FILLED.clear()
    now = timezone.now()
    group_a.name = HOSTILE
    group_a.save()
    user_model = get_user_model()
    # a member and an applicant whose names are hostile (usernames only take [\w.@+-])
    mallory = fill(user_model, username="mallory", email="m@example.org", password="!")
    services.set_only_role(mallory, acl.FULL_USER)
    services.add_member(group_a, mallory)
    jolene = make_user("jolene", acl.FULL_USER)
    jolene.first_name = jolene.last_name = HOSTILE
    jolene.save()
    fill(JoinRequest, group=group_a, user=jolene)
    Profile.objects.update_or_create(user=alice, defaults={"affiliation": HOSTILE})

    # a source, as the streams, uploads and people leave it
    ra, dec = 150.1, 2.2
    target = Target.objects.create(pk=ID, name=HOSTILE_NAME, type="SIDEREAL", ra=ra, dec=dec)
    services.assign_target_to_groups(target, [group_a])
    fill(TargetName, target=target)
    fill(TargetExtra, target=target)
    TargetList.objects.create(pk=ID, name=HOSTILE).targets.add(target)
    fill(
        TomComment,
        content_type=ContentType.objects.get_for_model(target),
        object_pk=str(target.pk),
        site_id=1,
        user=mallory,
        user_email="m@example.org",
        user_url="",
    )
    mjd_now = now.timestamp() / 86400 + 40587
    TargetSummary.objects.create(
        target=target,
        healpix=int(sky.healpix_index_order29([ra], [dec])[0]),
        first_detection_mjd=mjd_now - 0.01,
        last_detection_mjd=mjd_now - 0.01,
        n_detections=1,
    )
    stream = fill(Stream, survey="ztf")
    alert_filter = fill(Filter, stream=stream, group=group_a)
    fill(
        Candidate,
        target=target,
        filter=alert_filter,
        alert_id=ID,
        passed_at=now - timedelta(minutes=5),
        ingested_at=now - timedelta(minutes=4),
        annotations={HOSTILE: HOSTILE, "rf_snia_vs_nonia": 0.9},
    )
    Photometry.objects.bulk_create(
        [
            Photometry(
                target=target,
                mjd=mjd_now - 0.01 - i,
                band="ztfg" if origin == "alert" else HOSTILE_SHORT,
                instrument=HOSTILE,
                flux=10.0,
                fluxerr=1.0,
                mag=21.4,
                magerr=0.1,
                origin=origin,
                measurement_key=ID + i,
                owner=mallory if origin == "upload" else None,
            )
            for i, origin in enumerate(("alert", "upload"))
        ]
    )
    PhotometryGroup.objects.create(target=target, measurement_key=ID + 1, group=group_a)
    fill(PhotometryValidation, target=target, measurement_key=ID + 1, status="rejected", by=mallory)
    taxonomy = fill(Taxonomy, hierarchy={HOSTILE: {HOSTILE: {}}})
    classification = fill(
        Classification, target=target, taxonomy=taxonomy, probability=0.5, author=mallory
    )
    classification.groups.add(group_a)
    comment = fill(Comment, target=target, author=mallory)
    comment.groups.add(group_a)
    comment.mentions.add(alice)
    fill(SourceTag, target=target, group=group_a, created_by=mallory)
    SavedSource.objects.create(pk=ID, target=target, group=group_a, saved_by=mallory)
    spectrum = fill(
        Spectrum,
        target=target,
        wavelengths=[4000.0, 5000.0, 6000.0],
        fluxes=[1e-16, 2e-16, 1.5e-16],
        observed_at=now - timedelta(days=1),
        owner=mallory,
    )
    spectrum.groups.add(group_a)
    payload = zstandard.compress(b"{}")
    fill(
        ArchivedAlert,
        survey="ztf",
        alert_id=ID,
        object_name=HOSTILE_NAME,
        payload=payload,
        received_at=now,
    )
    fill(QuarantinedAlert, raw=b"", survey="ztf")
    link = PublicLink.objects.create(pk=ID, target=target, group=group_a, created_by=alice)
    fill(AccountNotice, recipient=alice, url="")

    # a GCN event from a hostile feed, with a localization holding the source and a galaxy
    event = fill(
        GcnEvent,
        trigger_time=now - timedelta(hours=1),
        name=HOSTILE_NAME,
        aliases=[HOSTILE_NAME, HOSTILE],
        properties={HOSTILE: HOSTILE, "FAR": 1e-9, "area_90": 12.5},
        far_hz=1e-9,
        significant=True,
    )
    notice = fill(
        GcnNotice,
        event=event,
        format="json",
        received_at=now - timedelta(minutes=50),
        trigger_time=event.trigger_time,
        issued_at=now - timedelta(minutes=55),
        properties={HOSTILE: HOSTILE},
        raw=b"{}",
    )
    fill(GcnQuarantine, size=0, raw=b"", received_at=now)
    whole_sky = [list(WHOLE_SKY)]
    localization = fill(
        Localization,
        event=event,
        notice=notice,
        kind="MultiOrderMap",
        status=Localization.Status.READY,
        url="",
        area_50=5.0,
        area_90=12.5,
        region_ranges={"0.5": whole_sky, "0.9": whole_sky, "0.95": whole_sky},
        ready_at=now,
    )
    _whole_sky_tile(localization)
    catalog = fill(GalaxyCatalog, n_galaxies=1, loaded_at=now)
    fill(
        Galaxy,
        catalog=catalog,
        ra=ra,
        dec=dec,
        healpix=int(sky.healpix_index_order29([ra], [dec])[0]),
        distance_mpc=40.0,
        distance_err_mpc=4.0,
        mag_b=14.0,
        mag_k=12.0,
    )
    SourceMatch.objects.create(
        pk=ID, localization=localization, target=target, cumprob=0.5, probdensity=1.0
    )
    fill(
        CircularDraft,
        event=event,
        group=group_a,
        version=1,
        report={"sources": [{"name": HOSTILE, "status": "kept", "reason": HOSTILE}]},
        created_by=mallory,
    )

    # a telescope, its allocation for group A, a follow-up request and its exchanges
    telescope = fill(
        Telescope, latitude=43.75, longitude=6.92, elevation=1270, aperture=1.0, robotic=True
    )
    instrument = fill(
        Instrument,
        telescope=telescope,
        filters=["ztfg", HOSTILE_SHORT],
        footprint={"type": "circle", "radius": 1.0},
        fields_digest="",
    )
    field = InstrumentField.objects.create(pk=ID, instrument=instrument, field_id=1, ra=ra, dec=dec)
    allocation = fill(
        Allocation,
        group=group_a,
        instrument=instrument,
        facility="Queue",
        hours=10,
        start=now - timedelta(days=1),
        end=now + timedelta(days=30),
        credentials_encrypted="",
    )
    allocation.admins.add(alice)
    fill(RobotToken, allocation=allocation, key_hash="0" * 64, created_by=alice)
    parameters = {
        "filters": [HOSTILE_SHORT],
        "exposure_time": 60,
        "exposure_count": 1,
        "start": now.isoformat(),
        "end": (now + timedelta(hours=12)).isoformat(),
        "comment": HOSTILE,
    }
    # TOM's save() reads the row of any record that has an id: created first, then renumbered
    record = fill(
        ObservationRecord,
        pk=None,
        target=target,
        facility="Queue",
        status="failed",
        parameters={**parameters},
        user=mallory,
    )
    ObservationRecord.objects.filter(pk=record.pk).update(id=ID)
    record = ObservationRecord.objects.get(pk=ID)
    request = fill(
        FollowupRequest,
        record=record,
        allocation=allocation,
        target=target,
        requester=mallory,
        status=FollowupRequest.FAILED,
        parameters=parameters,
    )
    fill(
        FacilityExchange,
        request=request,
        user=mallory,
        sent={HOSTILE: HOSTILE},
        received={"message": HOSTILE},
        ok=False,
    )

    # an observation plan for the event, its default, an executed exposure
    default = fill(DefaultPlanRequest, group=group_a, parameters={HOSTILE: HOSTILE})
    plan = fill(
        ObservationPlanRequest,
        event=event,
        localization=localization,
        group=group_a,
        requester=mallory,
        default=default,
        start=now,
        end=now + timedelta(hours=8),
        exposure_times=[30.0],
        filter_strategy="block",
        schedule_type="greedy",
        tiling="fields",
        status=PlanStatus.COMPLETE,
        progress=100,
        notes=[HOSTILE],
        statistics={
            "n_observations": 1,
            "n_fields": 1,
            "area": 1.0,
            "probability": 0.5,
            "per_filter": {HOSTILE: {"n_observations": 1, "area": 1.0, "probability": 0.5}},
        },
    )
    plan.allocations.add(allocation)
    planned = fill(
        PlannedObservation,
        plan=plan,
        allocation=allocation,
        field=field,
        ra=ra,
        dec=dec,
        obstime=now + timedelta(hours=1),
        exposure_time=30.0,
        airmass=1.2,
        probability=0.5,
        order=0,
    )
    fill(
        ExecutedObservation,
        group=group_a,
        instrument=instrument,
        field=field,
        obstime=now - timedelta(minutes=30),
        exposure_time=30.0,
        planned=planned,
        uploaded_by=mallory,
    )

    # a shift series and a shift of group A, with a member asking for a replacement
    series = fill(ShiftSeries, group=group_a, occurrences=1, created_by=mallory)
    shift = fill(
        Shift,
        group=group_a,
        series=series,
        start_at=now - timedelta(hours=1),
        end_at=now + timedelta(hours=8),
        created_by=mallory,
    )
    shift.admins.add(alice)
    ShiftMember.objects.create(shift=shift, user=mallory)
    ShiftMember.objects.create(shift=shift, user=alice)
    ReplacementRequest.objects.create(pk=ID, shift=shift, requester=mallory)
    # the calendar feed answers under the public link's token (the walk has one "token")
    CalendarToken.objects.create(user=alice, token=link.token)

    # alice's notices, deliveries, channels, profiles and saved views
    notice_for_alice = fill(Notification, recipient=alice, kind="mention", url="/")
    fill(
        Delivery,
        notification=notice_for_alice,
        channel="email",
        state=Delivery.State.FAILED,
        attempts=3,
    )
    fill(Preference, user=alice, kind="mention", channels=["email"])
    fill(ChannelAddress, user=alice)
    fill(GroupChannel, group=group_a, updated_by=alice)
    fill(GcnProfile, user=alice, properties=[{"name": HOSTILE, "op": "<", "value": 1}])
    fill(SavedView, user=alice, query="class_in=" + quote(HOSTILE))

    # a source and an event whose names cannot be part of a URL ("/"): pages naming them
    # link elsewhere or not at all, and still render
    slashed = Target.objects.create(name=HOSTILE, type="SIDEREAL", ra=ra, dec=dec)
    services.assign_target_to_groups(slashed, [group_a])
    SavedSource.objects.create(target=slashed, group=group_a, saved_by=mallory)
    Candidate.objects.create(
        target=slashed,
        filter=alert_filter,
        alert_id=ID + 1,
        passed_at=now - timedelta(minutes=3),
        ingested_at=now - timedelta(minutes=2),
    )
    slashed_record = ObservationRecord.objects.create(
        target=slashed, facility="Queue", status="pending", parameters=parameters, user=mallory
    )
    slashed_request = FollowupRequest.objects.create(
        record=slashed_record,
        allocation=allocation,
        target=slashed,
        requester=mallory,
        parameters=parameters,
    )
    slashed_event = GcnEvent.objects.create(
        trigger_time=now - timedelta(hours=2),
        name=HOSTILE,
        aliases=[HOSTILE],
        source="LVK",
    )
    slashed_notice = GcnNotice.objects.create(
        event=slashed_event,
        unique_key=f"{HOSTILE}-2",
        content_hash="1" * 64,
        source="LVK",
        notice_type="preliminary",
        format="json",
        received_at=now - timedelta(hours=2),
        raw=b"{}",
    )
    slashed_localization = Localization.objects.create(
        event=slashed_event,
        notice=slashed_notice,
        name="bayestar",
        kind="MultiOrderMap",
        status=Localization.Status.READY,
        region_ranges={"0.9": whole_sky},
        ready_at=now,
    )
    _whole_sky_tile(slashed_localization)

    return {"link": link, "filled": set(FILLED), "slashed_request": slashed_request}
