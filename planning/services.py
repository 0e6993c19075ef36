"""Observation plans: validate a request, run it (on the planning worker), store it whole,
compute its statistics in SQL, cancel it, export it.

Units: times aware UTC, exposure and overhead times in seconds, probability 0-1, areas deg².
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import access, acl
from facilities.models import Allocation, Instrument, InstrumentField
from gcn.models import GcnEvent, Localization, LocalizationTile
from planning import coverage, engine, region_fields
from planning.models import (
    STAGE_PROGRESS,
    ObservationPlanRequest,
    PlannedObservation,
    PlanStage,
    PlanStatus,
)
from planning.notify import notify_finished
from sources.sky import merge_ranges

logger = logging.getLogger(__name__)

MAX_INSTRUMENTS = 10
MAX_FILTERS = 6
MAX_ERROR_CHARS = 2000


class PlanInputError(ValueError):
    """A request that cannot be accepted; ``errors`` maps a field name to the reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --------------------------------------------------------------------------- access


def plans_visible_to(user) -> QuerySet[ObservationPlanRequest]:
    """Plans of the user's groups (every plan for a super admin; none when not approved)."""
    qs = ObservationPlanRequest.objects.all()
    if access.is_super_admin(user):
        return qs
    return qs.filter(group_id__in=access.user_group_ids(user))


def may_request(user) -> bool:
    return access.is_approved(user) and access.has_acl(user, acl.REQUEST_OBSERVATIONS)


def may_manage(user, plan: ObservationPlanRequest) -> bool:
    """Cancel a plan, send it to a queue or take it back: Manage observation plans, or the
    requester for their own plan (cancel only; see views)."""
    return access.is_approved(user) and access.has_acl(user, acl.MANAGE_OBSERVATION_PLANS)


def allocations_of(user, at: datetime | None = None) -> QuerySet[Allocation]:
    """Allocations of the user's groups that are valid now (or at ``at``)."""
    at = at or timezone.now()
    qs = Allocation.objects.select_related("instrument", "instrument__telescope", "group")
    if not access.is_super_admin(user):
        qs = qs.filter(group_id__in=access.user_group_ids(user))
    return qs.filter(start__lte=at, end__gt=at).order_by("instrument__name", "id")


# --------------------------------------------------------------------------- request


def _float(data: dict, name: str, default: float | None, lo: float, hi: float, errors) -> Any:
    value = data.get(name, default)
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        errors[name] = "must be a number"
        return default
    if not math.isfinite(value) or not (lo <= value <= hi):
        errors[name] = f"must be between {lo:g} and {hi:g}"
        return default
    return value


def _time(data: dict, name: str, errors) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        errors[name] = "must be an ISO-8601 date/time"
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def next_morning_twilight(latitude: float, longitude: float, after: datetime) -> datetime:
    """First time after ``after`` when the Sun rises through -12° at the site (UTC), within
    36 h (else ``after`` + 24 h for sites without such a twilight)."""
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time

    engine._offline_astropy()
    t0 = Time(after)
    steps = np.arange(0, 36 * 60 + 1, 5) * u.min
    times = t0 + steps
    frame = AltAz(
        obstime=times, location=EarthLocation(lat=latitude * u.deg, lon=longitude * u.deg)
    )
    alt = get_sun(times).transform_to(frame).alt.deg
    rising = np.nonzero((alt[:-1] < engine.NIGHT_SUN_ALTITUDE_DEG) & (alt[1:] >= -12.0))[0]
    if rising.size == 0:
        return after + timedelta(hours=24)
    i = int(rising[0])
    # linear interpolation inside the 5-minute step
    frac = (engine.NIGHT_SUN_ALTITUDE_DEG - alt[i]) / (alt[i + 1] - alt[i])
    return (times[i] + frac * 5 * u.min).to_datetime(timezone=UTC).replace(microsecond=0)


@dataclass
class Validated:
    localization: Localization
    allocations: list[Allocation]
    group_id: int
    fields: dict[str, Any]


def validate_request(
    user, event: GcnEvent, data: Any, pool: list[Allocation] | None = None
) -> Validated:
    """Check a plan request body (see the API) against the user's allocations.

    Structural problems raise :class:`PlanInputError` (400). Problems the issue wants
    reported as a failed plan (probability outside (0, 1], a localization still being
    processed, a retracted event, no night in the window, a footprint too small to grid) are
    left to the run, which fails the plan with the reason. ``pool``: the allocations the
    request may use (default: the user's groups' valid allocations).
    """
    if not isinstance(data, dict):
        raise PlanInputError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}

    loc_id = data.get("localization_id")
    localization = None
    if loc_id in (None, ""):
        localization = (
            event.current_localization()
            or event.localizations.order_by("-created_at", "-id").first()
        )
        if localization is None:
            errors["localization_id"] = "this event has no localization"
    else:
        try:
            localization = event.localizations.get(pk=int(loc_id))
        except (TypeError, ValueError, OverflowError, Localization.DoesNotExist):
            errors["localization_id"] = "no such localization for this event"

    mine = list(allocations_of(user)) if pool is None else list(pool)
    by_instrument: dict[int, list[Allocation]] = {}
    for a in mine:
        by_instrument.setdefault(a.instrument_id, []).append(a)
    chosen: list[Allocation] = []
    alloc_ids = data.get("allocation_ids")
    inst_ids = data.get("instrument_ids")
    if alloc_ids is not None:
        ids = alloc_ids if isinstance(alloc_ids, list) else None
        if not ids or len(ids) > MAX_INSTRUMENTS:
            errors["allocation_ids"] = f"give 1 to {MAX_INSTRUMENTS} allocation ids"
        else:
            by_id = {a.pk: a for a in mine}
            for raw in ids:
                a = by_id.get(raw) if isinstance(raw, int) else None
                if a is None:
                    errors["allocation_ids"] = f"{raw!r} is not a valid allocation of your groups"
                    break
                chosen.append(a)
    else:
        ids = inst_ids if isinstance(inst_ids, list) else None
        if not ids or len(ids) > MAX_INSTRUMENTS:
            errors["instrument_ids"] = f"give 1 to {MAX_INSTRUMENTS} instrument ids"
        else:
            for raw in ids:
                options = by_instrument.get(raw) if isinstance(raw, int) else None
                if not options:
                    errors["instrument_ids"] = (
                        f"{raw!r}: no valid allocation of your groups on this instrument"
                    )
                    break
                chosen.append(options[0])
    if len({a.pk for a in chosen}) != len(chosen):
        errors["instrument_ids"] = "an instrument is given twice"
    if chosen and len({a.group_id for a in chosen}) > 1:
        errors["instrument_ids"] = "all allocations of one plan must belong to one group"

    filters = data.get("filters")
    if filters is None and chosen:
        filters = list(chosen[0].instrument.filters[:2])
    if isinstance(filters, str):
        filters = [f.strip() for f in filters.split(",") if f.strip()]
    if (
        not isinstance(filters, list)
        or not filters
        or len(filters) > MAX_FILTERS
        or not all(isinstance(f, str) and 0 < len(f) <= 20 for f in filters)
    ):
        errors["filters"] = f"give 1 to {MAX_FILTERS} filter names"
        filters = []
    else:
        for a in chosen:
            if not set(filters) & set(a.instrument.filters or []):
                errors["filters"] = f"{a.instrument.name} has none of these filters"
    exposure_times = data.get("exposure_times")
    if exposure_times is None:
        single = _float(data, "exposure_time", 60.0, 0.001, 3600.0, errors)
        exposure_times = [single] * len(filters)
    elif (
        not isinstance(exposure_times, list)
        or len(exposure_times) != len(filters)
        or not all(
            isinstance(t, int | float) and math.isfinite(t) and 0 < t <= 3600
            for t in exposure_times
        )
    ):
        errors["exposure_times"] = "give one exposure time in (0, 3600] s per filter"
        exposure_times = []

    start = _time(data, "start", errors) or timezone.now().replace(microsecond=0)
    end = _time(data, "end", errors)
    if end is None and chosen and "end" not in errors:
        ends = [
            next_morning_twilight(
                a.instrument.telescope.latitude, a.instrument.telescope.longitude, start
            )
            for a in chosen
            if a.instrument.telescope.latitude is not None
        ]
        end = max(ends) if ends else start + timedelta(hours=24)
    if end is not None and end <= start:
        errors["end"] = "must be after start"
    elif end is not None and end - start > timedelta(days=7):
        errors["end"] = "the window may not exceed 7 days"

    probability = data.get("probability", 0.9)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        errors["probability"] = "must be a number"
    elif not math.isfinite(probability):
        errors["probability"] = "must be finite"
    schedule_type = data.get("schedule_type", "greedy")
    if schedule_type not in engine.SCHEDULE_TYPES:
        errors["schedule_type"] = f"one of {', '.join(engine.SCHEDULE_TYPES)}"
    strategy = data.get("filter_strategy", "block")
    if strategy not in engine.FILTER_STRATEGIES:
        errors["filter_strategy"] = "block or integrated"
    tiling = data.get("tiling", "fields")
    if tiling not in ("fields", "galaxies"):
        errors["tiling"] = "fields or galaxies"
    catalog = data.get("galaxy_catalog", "")
    if not isinstance(catalog, str) or len(catalog) > 100:
        errors["galaxy_catalog"] = "a catalog name"
    max_fields = data.get("max_fields")
    if max_fields is not None and (
        isinstance(max_fields, bool)
        or not isinstance(max_fields, int)
        or not 1 <= max_fields <= 5000
    ):
        errors["max_fields"] = "an integer between 1 and 5000"
    fields = {
        "start": start,
        "end": end,
        "filters": filters,
        "exposure_times": [float(t) for t in exposure_times],
        "filter_strategy": strategy,
        "min_filter_separation": _float(data, "min_filter_separation", 0.0, 0.0, 86400.0, errors),
        "schedule_type": schedule_type,
        "tiling": tiling,
        "galaxy_catalog": catalog if isinstance(catalog, str) else "",
        "probability": probability if "probability" not in errors else 0.9,
        "max_airmass": _float(data, "max_airmass", 2.0, 1.0, 5.0, errors),
        "galactic_limit": _float(data, "galactic_limit", 0.0, 0.0, 90.0, errors),
        "max_fields": max_fields if "max_fields" not in errors else None,
        "allow_overlap": bool(data.get("allow_overlap", False)),
        "send_to_queue": bool(data.get("send_to_queue", False)),
    }
    if errors:
        raise PlanInputError(errors)
    return Validated(localization, chosen, chosen[0].group_id, fields)


def create_plan(
    event: GcnEvent,
    validated: Validated,
    requester=None,
    default=None,
    dispatch: bool = True,
) -> ObservationPlanRequest:
    """Store a validated request as a queued plan and send it to the planning queue once
    the transaction commits."""
    with transaction.atomic():
        plan = ObservationPlanRequest.objects.create(
            event=event,
            localization=validated.localization,
            group_id=validated.group_id,
            requester=requester,
            default=default,
            **validated.fields,
        )
        plan.allocations.set(validated.allocations)
        if dispatch:
            transaction.on_commit(lambda: dispatch_plan(plan.pk))
    return plan


def dispatch_plan(plan_id: int) -> None:
    """Queue the plan on the ``planning`` queue; if the broker is down the plan fails with
    that reason (nothing else is written)."""
    from planning.tasks import run_plan_task

    try:
        result = run_plan_task.apply_async((plan_id,), queue="planning", retry=False)
    except Exception as exc:
        logger.warning("could not queue plan %s: %s", plan_id, exc)
        _fail(plan_id, f"the planning queue is unavailable: {exc}"[:MAX_ERROR_CHARS], queued=True)
        return
    ObservationPlanRequest.objects.filter(pk=plan_id).update(task_id=result.id or "")


# --------------------------------------------------------------------------- run


def _fail(plan_id: int, reason: str, queued: bool = False) -> bool:
    """Mark a running (or queued) plan failed; False when it had finished meanwhile."""
    states = [PlanStatus.RUNNING, PlanStatus.QUEUED] if queued else [PlanStatus.RUNNING]
    return ObservationPlanRequest.objects.filter(pk=plan_id, status__in=states).update(
        status=PlanStatus.FAILED, error=reason[:MAX_ERROR_CHARS], finished_at=timezone.now()
    )


def fail_stalled_plans(now: datetime | None = None) -> int:
    """Fail the plans no worker will finish: taken by a worker that died (killed, out of
    memory, host lost) and still running after ``PLANNING_MAX_RUNTIME_S``, or still queued
    after ``PLANNING_MAX_QUEUED_S`` (the queue message was lost). Each requester is told;
    the plan can be requested again. Returns how many plans were failed."""
    now = now or timezone.now()
    running_s, queued_s = settings.PLANNING_MAX_RUNTIME_S, settings.PLANNING_MAX_QUEUED_S
    rules = (
        (
            Q(status=PlanStatus.RUNNING, started_at__lt=now - timedelta(seconds=running_s)),
            f"the planning worker stopped before finishing (no result {running_s // 60} min "
            "after it started); request the plan again",
        ),
        (
            Q(status=PlanStatus.QUEUED, created_at__lt=now - timedelta(seconds=queued_s)),
            f"no planning worker took the plan within {queued_s // 60} min; request the plan again",
        ),
    )
    stalled = [
        (plan_id, reason)
        for condition, reason in rules
        for plan_id in ObservationPlanRequest.objects.filter(condition).values_list("pk", flat=True)
    ]
    failed = 0
    for plan_id, reason in stalled:
        if _fail(plan_id, reason, queued=True):
            notify_finished(plan_id, PlanStatus.FAILED)
            failed += 1
    return failed


def _stage(plan_id: int, stage: str) -> None:
    """Record a stage reached; raise :class:`engine.Cancelled` if the plan was cancelled."""
    updated = ObservationPlanRequest.objects.filter(pk=plan_id, status=PlanStatus.RUNNING).update(
        stage=stage, progress=STAGE_PROGRESS.get(stage, 0)
    )
    if not updated:
        raise engine.Cancelled()


def load_skymap(localization: Localization) -> engine.SkyMap:
    rows = np.array(
        LocalizationTile.objects.filter(localization=localization)
        .order_by("lower")
        .values_list("lower", "upper", "probdensity", "cumprob"),
        dtype=object,
    )
    if rows.size == 0:
        raise engine.PlanningError("the localization has no tiles")
    return engine.SkyMap(
        lower=rows[:, 0].astype(np.int64),
        upper=rows[:, 1].astype(np.int64),
        probdensity=rows[:, 2].astype(np.float64),
        cumprob=rows[:, 3].astype(np.float64),
    )


def galaxy_weighted(sky: engine.SkyMap, localization: Localization, plan) -> engine.SkyMap:
    """The map reweighted by catalogued galaxies: each tile's density becomes the sum of the
    scores of the galaxies it holds (``gcn.crossmatch.matching_galaxies``: probability
    density times distance agreement), so gwemopt ranks fields by the galaxies they hold."""
    from gcn import crossmatch

    galaxies = crossmatch.matching_galaxies(
        localization, min(max(plan.probability, 1e-6), 1.0), catalog=plan.galaxy_catalog or None,
        limit=20000,
    )  # fmt: skip
    if not galaxies:
        raise engine.PlanningError("no catalogued galaxy inside the credible region")
    from sources.sky import healpix_index_order29

    ra = np.array([g["ra"] for g in galaxies])
    dec = np.array([g["dec"] for g in galaxies])
    score = np.array([g["score"] if g["score"] is not None else g["probdensity"] for g in galaxies])
    pix = healpix_index_order29(ra, dec)
    pos = np.searchsorted(sky.lower, pix, side="right") - 1
    dens = np.zeros_like(sky.probdensity)
    np.add.at(dens, pos, score)
    area = (sky.upper - sky.lower).astype(np.float64) * coverage.PIXEL_SR
    dens = dens / area
    total = float((dens * area).sum())
    if not total > 0:
        raise engine.PlanningError("the galaxies carry no weight")
    return replace(sky, probdensity=dens / total, cumprob=np.zeros_like(sky.cumprob))


def _instrument_spec(alloc: Allocation, fields: list[InstrumentField], ranges) -> engine.Instrument:
    inst: Instrument = alloc.instrument
    tel = inst.telescope
    if tel.latitude is None or tel.longitude is None:
        raise engine.PlanningError(f"{inst.name} has no site coordinates (space telescope?)")
    width = 1.0
    try:
        from facilities import footprint

        width = max(footprint.extent(inst.footprint))
    except Exception:  # a footprint the helper cannot read: only labels depend on it
        width = 1.0
    return engine.Instrument(
        key=str(alloc.pk),
        latitude=tel.latitude,
        longitude=tel.longitude,
        elevation=tel.elevation or 0.0,
        fields=[
            engine.Field(
                f.pk,
                f.ra,
                f.dec,
                np.asarray(ranges[f.pk][0], dtype=np.int64),
                np.asarray(ranges[f.pk][1], dtype=np.int64),
            )
            for f in fields
            if ranges[f.pk][0]
        ],
        readout=inst.readout or 0.0,
        overhead_per_exposure=inst.overhead_per_exposure or 0.0,
        filter_change_time=inst.filter_change_time or 0.0,
        slew_rate=inst.slew_rate or 1.0,
        fov_deg=width,
    )


def run_plan(plan_id: int) -> str:
    """Run a queued plan to its end; returns the final status. Never raises for a plan's
    own problems: they are stored as the plan's reason."""
    claimed = ObservationPlanRequest.objects.filter(pk=plan_id, status=PlanStatus.QUEUED).update(
        status=PlanStatus.RUNNING, started_at=timezone.now(), stage=PlanStage.REQUESTED, progress=0
    )
    if not claimed:
        plan = ObservationPlanRequest.objects.filter(pk=plan_id).first()
        return plan.status if plan else "missing"
    plan = ObservationPlanRequest.objects.select_related("event", "localization").get(pk=plan_id)
    try:
        observations, notes, selection_ms, n_candidates = _compute(plan)
        _store(plan, observations, notes, selection_ms, n_candidates)
    except engine.Cancelled:
        pass
    except engine.PlanningError as exc:
        _fail(plan_id, str(exc))
    except Exception as exc:  # gwemopt or anything else: the plan fails, others go on
        logger.exception("plan %s failed", plan_id)
        _fail(plan_id, f"planning failed: {type(exc).__name__}: {exc}")
    final = ObservationPlanRequest.objects.filter(pk=plan_id).values_list("status", flat=True)
    status = final.first() or "missing"
    notify_finished(plan_id, status)  # planning.notify: the requester hears of it
    if status == PlanStatus.COMPLETE and plan.send_to_queue:
        try:
            from planning import queue

            queue.send_plan(ObservationPlanRequest.objects.get(pk=plan_id), None)
        except Exception as exc:
            logger.warning("plan %s could not be sent to the queue: %s", plan_id, exc)
    return status


def _compute(plan: ObservationPlanRequest):
    event, loc = plan.event, plan.localization
    if event.retracted:
        raise engine.PlanningError(f"{event.name} was retracted")
    if loc.status != Localization.Status.READY:
        raise engine.PlanningError(
            f"the localization {loc.name} is {loc.status}"
            + (" (still being processed)" if loc.status == Localization.Status.PENDING else "")
        )
    p = plan.probability
    if not (isinstance(p, float | int) and math.isfinite(p) and 0 < p <= 1):
        raise engine.PlanningError("probability must be in (0, 1]")
    settings = engine.Settings(
        start=plan.start,
        end=plan.end,
        filters=list(plan.filters),
        exposure_times=list(plan.exposure_times),
        filter_strategy=plan.filter_strategy,
        min_filter_separation=plan.min_filter_separation,
        schedule_type=plan.schedule_type,
        probability=plan.probability,
        max_airmass=plan.max_airmass,
        galactic_limit=plan.galactic_limit,
        max_fields=plan.max_fields,
        allow_overlap=plan.allow_overlap,
    )
    engine.check_settings(settings)

    allocations = list(
        plan.allocations.select_related("instrument", "instrument__telescope").order_by("id")
    )
    if not allocations:
        raise engine.PlanningError("the plan has no allocation")
    specs: list[engine.Instrument] = []
    per_inst_settings: dict[str, engine.Settings] = {}
    selection_ms = 0.0
    n_candidates = 0
    notes: list[str] = []
    sky = load_skymap(loc)
    for alloc in allocations:
        inst = alloc.instrument
        if not region_fields.has_grid(inst):
            try:
                added = region_fields.ensure_region_fields(inst, sky, plan.probability)
            except region_fields.RegionFieldsError as exc:
                raise engine.PlanningError(str(exc)) from None
            if added:
                notes.append(f"{inst.name}: {added} pointings of its footprint's grid added")
        chosen = coverage.select_fields(inst, loc, plan.probability)
        selection_ms += chosen.milliseconds
        n_candidates += len(chosen.field_pks)
        fields = list(InstrumentField.objects.filter(pk__in=chosen.field_pks).order_by("pk"))
        ranges = coverage.field_ranges(chosen.field_pks)
        spec = _instrument_spec(alloc, fields, ranges)
        specs.append(spec)
        mine = [f for f in plan.filters if f in (inst.filters or [])]
        times = [t for f, t in zip(plan.filters, plan.exposure_times, strict=True) if f in mine]
        per_inst_settings[spec.key] = replace(settings, filters=mine, exposure_times=times)
    ObservationPlanRequest.objects.filter(pk=plan.pk).update(
        selection_ms=selection_ms, n_candidate_fields=n_candidates
    )
    _stage(plan.pk, PlanStage.FIELDS_SELECTED)

    if plan.tiling == "galaxies":
        sky = galaxy_weighted(sky, loc, plan)

    def progress(stage: str) -> None:
        _stage(plan.pk, stage)

    observations: list[engine.Observation] = []
    dropped = 0
    covered: list[engine.Field] = []
    if not any(spec.fields for spec in specs):
        raise engine.PlanningError("no field of these instruments overlaps the credible region")
    for spec in specs:
        if not spec.fields:
            notes.append(f"allocation {spec.key}: no field overlaps the credible region")
            continue
        # One instrument at a time, each with its own filters, the sky already planned by
        # the previous ones removed (engine.schedule does it across its own list too).
        result = engine.schedule(
            sky if plan.allow_overlap or not covered else _without(sky, covered),
            [spec],
            per_inst_settings[spec.key],
            progress=progress if not observations else (lambda stage: _check_cancelled(plan.pk)),
        )
        observations.extend(result.observations)
        notes.extend(result.notes)
        dropped += result.dropped
        by_pk = {f.field_id: f for f in spec.fields}
        covered.extend(by_pk[o.field_id] for o in result.observations)
    if dropped:
        notes.append(f"{dropped} slot(s) proposed by gwemopt failed the night/airmass check")
    observations.sort(key=lambda o: (o.obstime, o.instrument, o.field_id))
    _stage(plan.pk, PlanStage.SCHEDULE_BUILT)
    return observations, notes, selection_ms, n_candidates


def _check_cancelled(plan_id: int) -> None:
    if not ObservationPlanRequest.objects.filter(pk=plan_id, status=PlanStatus.RUNNING).exists():
        raise engine.Cancelled()


def _without(sky: engine.SkyMap, fields: Iterable[engine.Field]) -> engine.SkyMap:
    fields = list(fields)
    lo, hi = merge_ranges(
        np.concatenate([f.lower for f in fields]), np.concatenate([f.upper for f in fields])
    )
    frac = engine.covered_fraction(sky.lower, sky.upper, lo, hi)
    return replace(sky, probdensity=sky.probdensity * (1.0 - frac))


def _store(plan, observations, notes, selection_ms, n_candidates) -> None:
    """Write the planned observations and the statistics in one transaction, unless the
    plan was cancelled meanwhile (then nothing is written)."""
    allocations = {
        str(a.pk): a for a in plan.allocations.select_related("instrument").order_by("id")
    }
    with transaction.atomic():
        locked = (
            ObservationPlanRequest.objects.select_for_update()
            .filter(pk=plan.pk, status=PlanStatus.RUNNING)
            .first()
        )
        if locked is None:
            return
        rows = []
        for order, o in enumerate(observations):
            alloc = allocations[o.instrument]
            inst = alloc.instrument
            rows.append(
                PlannedObservation(
                    plan_id=plan.pk,
                    allocation=alloc,
                    field_id=o.field_id,
                    ra=o.ra,
                    dec=o.dec,
                    filter=o.filter,
                    obstime=o.obstime,
                    exposure_time=o.exposure_time,
                    overhead=(inst.overhead_per_exposure or 0.0) + (inst.readout or 0.0),
                    airmass=o.airmass,
                    probability=o.probability,
                    order=order,
                )
            )
        PlannedObservation.objects.bulk_create(rows, batch_size=2000)
        locked.statistics = compute_statistics(locked)
        locked.notes = notes
        locked.status = PlanStatus.COMPLETE
        locked.stage = PlanStage.STORED
        locked.progress = 100
        locked.finished_at = timezone.now()
        locked.selection_ms = selection_ms
        locked.n_candidate_fields = n_candidates
        if not rows:
            locked.notes = [*notes, "no field could be scheduled in the window"]
        locked.save()


# --------------------------------------------------------------------------- statistics


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None


def compute_statistics(plan: ObservationPlanRequest) -> dict:
    """Counts, times and coverage of a plan's stored observations, from SQL.

    ``area``/``probability`` come from the fields' stored tiles and the localization's
    tiles (:func:`coverage.coverage`), not from gwemopt's estimate."""
    obs = PlannedObservation.objects.filter(plan_id=plan.pk)
    sums = {
        "n": Count("id"),
        "t": Sum("exposure_time"),
        "o": Sum("overhead"),
        "first": Min("obstime"),
        "last": Max("obstime"),
        "n_fields": Count("field_id", distinct=True),
    }

    def summary(row: dict) -> dict:
        return {
            "n_observations": row["n"],
            "n_fields": row["n_fields"],
            "total_time": row["t"] or 0.0,
            "total_time_with_overheads": (row["t"] or 0.0) + (row["o"] or 0.0),
            "first": _iso(row["first"]),
            "last": _iso(row["last"]),
        }

    per_filter = {row["filter"]: summary(row) for row in obs.values("filter").annotate(**sums)}
    total = summary(obs.aggregate(**sums))
    table = PlannedObservation._meta.db_table
    cov = coverage.coverage(
        plan.localization_id,
        f"SELECT filter AS label, field_id FROM {table} WHERE plan_id = %s",
        [plan.pk],
    )
    for name, stats in per_filter.items():
        stats.update(cov.get(name, {"area": 0.0, "probability": 0.0}))
    return {**total, **cov["*"], "per_filter": per_filter}


# --------------------------------------------------------------------------- cancel


def cancel_plan(plan: ObservationPlanRequest) -> bool:
    """Cancel a queued or running plan (True if it was). A running plan stops at its next
    stage and writes nothing; the queued task is revoked."""
    updated = ObservationPlanRequest.objects.filter(
        pk=plan.pk, status__in=[PlanStatus.QUEUED, PlanStatus.RUNNING]
    ).update(status=PlanStatus.CANCELLED, finished_at=timezone.now())
    if updated and plan.task_id:
        try:
            from icare_tom.celery import app

            app.control.revoke(plan.task_id)
        except Exception as exc:  # the worker checks the status anyway
            logger.info("could not revoke %s: %s", plan.task_id, exc)
    return bool(updated)


# --------------------------------------------------------------------------- exports


def observation_rows(plan: ObservationPlanRequest) -> list[dict]:
    from planning import queue

    live = queue.statuses(plan)
    rows = []
    for o in plan.planned_observations.select_related("field", "allocation__instrument").order_by(
        "order"
    ):
        rows.append(
            {
                "order": o.order,
                "instrument": o.allocation.instrument.name,
                "allocation_id": o.allocation_id,
                "field_id": o.field.field_id,
                "ra": o.ra,
                "dec": o.dec,
                "filter": o.filter,
                "obstime": _iso(o.obstime),
                "exposure_time": o.exposure_time,
                "airmass": round(o.airmass, 4),
                "probability": o.probability,
                "queue_status": live.get(o.queue_request_id, o.queue_status),
            }
        )
    return rows


def circular_text(plan: ObservationPlanRequest) -> str:
    """A one-paragraph GCN circular draft for a complete plan."""
    stats = plan.statistics or {}
    if plan.status != PlanStatus.COMPLETE or not stats.get("n_observations"):
        return ""
    names = sorted({a.instrument.name for a in plan.allocations.select_related("instrument")})
    filters = ", ".join(stats.get("per_filter", {}).keys())
    first, last = stats.get("first") or "", stats.get("last") or ""
    return (
        f"We plan to observe the localization of {plan.event.name} "
        f"({plan.localization.name}) with {', '.join(names)}: "
        f"{stats['n_fields']} fields ({stats['n_observations']} exposures in {filters}) "
        f"covering {stats['area']:.1f} deg² and {100 * stats['probability']:.1f} % of the "
        f"probability, between {first[:16].replace('T', ' ')} and "
        f"{last[:16].replace('T', ' ')} UTC."
    )


_ZTF_FILTER_IDS = {"ztfg": 1, "ztfr": 2, "ztfi": 3}


def queue_json(plan: ObservationPlanRequest) -> dict:
    """The plan in the list-queue format of ZTF/Rubin-style schedulers."""
    targets = []
    for i, row in enumerate(observation_rows(plan)):
        targets.append(
            {
                "request_id": i,
                "field_id": row["field_id"],
                "ra": row["ra"],
                "dec": row["dec"],
                "filter_id": _ZTF_FILTER_IDS.get(row["filter"], row["filter"]),
                "filter": row["filter"],
                "exposure_time": row["exposure_time"],
                "program_pi": plan.requester.username if plan.requester else plan.group.name,
                "subprogram_name": f"{plan.event.name}_plan{plan.pk}",
            }
        )
    to_mjd = lambda t: t.timestamp() / 86400.0 + 40587.0  # noqa: E731
    return {
        "queue_name": f"ToO_{plan.event.name}_plan{plan.pk}",
        "queue_type": "list",
        "validity_window_mjd": [to_mjd(plan.start), to_mjd(plan.end)],
        "targets": targets,
    }
