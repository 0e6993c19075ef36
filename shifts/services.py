"""Shifts: creating them (one or a series), joining and leaving, replacements, reminders,
warnings about understaffed shifts, who is on shift now, and the calendar feed.

Seeing a group's shifts needs membership of the group; creating and editing them needs
"Manage shifts" (``accounts.acl.MANAGE_SHIFTS``, which group admins have) and membership, or
being the group's admin, or one of the shift's own admins. Times are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from accounts import access, acl
from accounts.models import GroupAdministrator
from notifications import kinds
from notifications.services import notify, notify_group
from shifts.models import CalendarToken, ReplacementRequest, Shift, ShiftMember, ShiftSeries

MAX_PEOPLE = 100
MAX_DURATION = timedelta(hours=48)
MAX_OCCURRENCES = 366
UNDERSTAFFED_WITHIN = timedelta(hours=48)


class ShiftRefused(ValueError):
    """What the user asked cannot be done; the message says why (shown as is)."""


# --------------------------------------------------------------------------- access


def visible_shifts(user) -> QuerySet[Shift]:
    """Shifts of the user's groups (every group's for a super admin)."""
    if not access.is_approved(user):
        return Shift.objects.none()
    if access.is_super_admin(user):
        return Shift.objects.all()
    return Shift.objects.filter(group_id__in=access.user_group_ids(user))


def may_manage(user, group: Group | int) -> bool:
    """Create and edit the group's shifts."""
    group_id = group if isinstance(group, int) else group.pk
    if not access.is_approved(user):
        return False
    if access.is_super_admin(user):
        return True
    if group_id not in access.user_group_ids(user):
        return False
    return access.has_acl(user, acl.MANAGE_SHIFTS) or access.is_group_admin(user, group_id)


def may_edit(user, shift: Shift) -> bool:
    return may_manage(user, shift.group_id) or shift.admins.filter(pk=user.pk).exists()


def manageable_groups(user) -> list[Group]:
    return [g for g in access.groups_of(user).order_by("name") if may_manage(user, g)]


# --------------------------------------------------------------------------- creating


@dataclass(frozen=True)
class ShiftSpec:
    name: str
    start_at: datetime
    end_at: datetime
    people_needed: int = 1
    description: str = ""


def _check(spec: ShiftSpec) -> None:
    if not spec.name.strip() or len(spec.name) > 100:
        raise ShiftRefused("a shift needs a name of at most 100 characters")
    if spec.start_at.tzinfo is None or spec.end_at.tzinfo is None:
        raise ShiftRefused("times must be given in UTC")
    if spec.end_at <= spec.start_at:
        raise ShiftRefused("a shift must end after it starts")
    if spec.end_at - spec.start_at > MAX_DURATION:
        raise ShiftRefused("a shift lasts at most 48 hours")
    if not 1 <= spec.people_needed <= MAX_PEOPLE:
        raise ShiftRefused(f"a shift needs between 1 and {MAX_PEOPLE} people")
    if len(spec.description) > 5000:
        raise ShiftRefused("the description has at most 5000 characters")


def _admins_in_group(group: Group, admins) -> list[int]:
    ids = {a if isinstance(a, int) else a.pk for a in admins}
    members = set(group.user_set.filter(pk__in=ids).values_list("pk", flat=True))
    if ids - members:
        raise ShiftRefused("shift admins must be members of the group")
    return sorted(ids)


@transaction.atomic
def create_shift(user, group: Group, spec: ShiftSpec, admins=(), series=None) -> Shift:
    if not may_manage(user, group):
        raise ShiftRefused("creating shifts needs the “Manage shifts” permission in this group")
    _check(spec)
    admin_ids = _admins_in_group(group, admins)
    shift = Shift.objects.create(
        group=group,
        series=series,
        name=spec.name.strip(),
        description=spec.description,
        start_at=spec.start_at,
        end_at=spec.end_at,
        people_needed=spec.people_needed,
        created_by=user,
    )
    shift.admins.set(admin_ids)
    return shift


@transaction.atomic
def create_series(
    user,
    group: Group,
    spec: ShiftSpec,
    occurrences: int,
    every_days: int = 1,
    admins=(),
) -> list[Shift]:
    """``occurrences`` shifts like ``spec``, each ``every_days`` days after the previous
    (e.g. nightly 18:00-06:00 UTC for four weeks: occurrences=28, every_days=1)."""
    if not 1 <= occurrences <= MAX_OCCURRENCES:
        raise ShiftRefused(f"a series has between 1 and {MAX_OCCURRENCES} shifts")
    if not 1 <= every_days <= 366:
        raise ShiftRefused("repeat every 1 to 366 days")
    if not may_manage(user, group):
        raise ShiftRefused("creating shifts needs the “Manage shifts” permission in this group")
    _check(spec)
    series = ShiftSeries.objects.create(
        group=group,
        name=spec.name.strip(),
        every_days=every_days,
        occurrences=occurrences,
        created_by=user,
    )
    step = timedelta(days=every_days)
    return [
        create_shift(
            user,
            group,
            ShiftSpec(
                spec.name,
                spec.start_at + i * step,
                spec.end_at + i * step,
                spec.people_needed,
                spec.description,
            ),
            admins,
            series,
        )
        for i in range(occurrences)
    ]


@transaction.atomic
def update_shift(user, shift: Shift, spec: ShiftSpec, admins=None) -> Shift:
    if not may_edit(user, shift):
        raise ShiftRefused("editing this shift needs the “Manage shifts” permission")
    _check(spec)
    taken = shift.members.count()
    if spec.people_needed < taken:
        raise ShiftRefused(f"{taken} people have already joined: need at least {taken}")
    shift.name = spec.name.strip()
    shift.description = spec.description
    shift.start_at, shift.end_at = spec.start_at, spec.end_at
    shift.people_needed = spec.people_needed
    shift.save()
    if admins is not None:
        shift.admins.set(_admins_in_group(shift.group, admins))
    return shift


def delete_shift(user, shift: Shift) -> None:
    if not may_edit(user, shift):
        raise ShiftRefused("deleting this shift needs the “Manage shifts” permission")
    shift.delete()


# --------------------------------------------------------------------------- people


def _member_of_group(user, shift: Shift) -> None:
    if not access.is_approved(user) or shift.group_id not in access.user_group_ids(user):
        raise ShiftRefused(f"only members of {shift.group.name} can take this shift")


@transaction.atomic
def join(user, shift: Shift) -> ShiftMember:
    """Take a seat; refused when the shift is full or over."""
    _member_of_group(user, shift)
    locked = Shift.objects.select_for_update().get(pk=shift.pk)
    existing = ShiftMember.objects.filter(shift=locked, user=user).first()
    if existing is not None:
        return existing
    if locked.end_at <= timezone.now():
        raise ShiftRefused("this shift is over")
    taken = ShiftMember.objects.filter(shift=locked).count()
    if taken >= locked.people_needed:
        raise ShiftRefused(
            f"this shift is full: {taken} of {locked.people_needed} "
            f"{'person' if locked.people_needed == 1 else 'people'} already joined"
        )
    return ShiftMember.objects.create(shift=locked, user=user)


@transaction.atomic
def leave(user, shift: Shift) -> bool:
    ReplacementRequest.objects.filter(
        shift=shift, requester=user, status=ReplacementRequest.Status.OPEN
    ).update(status=ReplacementRequest.Status.CANCELLED)
    return ShiftMember.objects.filter(shift=shift, user=user).delete()[0] > 0


def shift_url(shift: Shift) -> str:
    return f"/shifts/{shift.pk}/"


def when(shift: Shift) -> str:
    return f"{shift.start_at:%Y-%m-%d %H:%M}-{shift.end_at:%H:%M} UTC"


def request_replacement(user, shift: Shift) -> ReplacementRequest:
    """Ask the group for someone to take one's seat; the group is told."""
    if not ShiftMember.objects.filter(shift=shift, user=user).exists():
        raise ShiftRefused("you are not on this shift")
    if shift.end_at <= timezone.now():
        raise ShiftRefused("this shift is over")
    try:
        with transaction.atomic():
            request = ReplacementRequest.objects.create(shift=shift, requester=user)
    except IntegrityError:
        raise ShiftRefused("you have already asked for a replacement for this shift") from None
    notify_group(
        shift.group,
        kinds.SHIFT,
        f"{user.get_username()} needs a replacement for {shift.name} ({when(shift)})",
        shift_url(shift),
        dedupe_key=f"shift-replacement:{request.pk}",
        exclude=[user],
    )
    return request


@transaction.atomic
def take_replacement(user, request: ReplacementRequest) -> ShiftMember:
    """Take over the requester's seat: the requester leaves, ``user`` joins."""
    locked = (
        ReplacementRequest.objects.select_for_update().select_related("shift").get(pk=request.pk)
    )
    shift = locked.shift
    _member_of_group(user, shift)
    if locked.status != ReplacementRequest.Status.OPEN:
        raise ShiftRefused("this replacement has already been taken or withdrawn")
    if locked.requester_id == user.pk:
        raise ShiftRefused("you cannot replace yourself")
    if ShiftMember.objects.filter(shift=shift, user=user).exists():
        raise ShiftRefused("you are already on this shift")
    ShiftMember.objects.filter(shift=shift, user_id=locked.requester_id).delete()
    seat = ShiftMember.objects.create(shift=shift, user=user)
    locked.status = ReplacementRequest.Status.TAKEN
    locked.taken_by = user
    locked.taken_at = timezone.now()
    locked.save()
    notify(
        [locked.requester_id],
        kinds.SHIFT,
        f"{user.get_username()} takes your place on {shift.name} ({when(shift)})",
        shift_url(shift),
        dedupe_key=f"shift-replaced:{locked.pk}",
    )
    return seat


# --------------------------------------------------------------------------- on shift now


def on_shift_user_ids(user_ids: list[int], at: datetime) -> set[int]:
    """Those of ``user_ids`` on a shift at ``at`` (the notifications' "only on shift")."""
    return set(
        ShiftMember.objects.filter(
            user_id__in=user_ids, shift__start_at__lte=at, shift__end_at__gt=at
        ).values_list("user_id", flat=True)
    )


def current_shifts(user, at: datetime | None = None) -> list[Shift]:
    at = at or timezone.now()
    if not access.is_approved(user):
        return []
    return list(
        Shift.objects.filter(
            members__user=user,
            start_at__lte=at,
            end_at__gt=at,
            group_id__in=access.user_group_ids(user),
        ).select_related("group")
    )


# --------------------------------------------------------------------------- beat tasks


def reminder_lead() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "SHIFT_REMINDER_MINUTES", 60)))


def send_reminders(now: datetime | None = None) -> int:
    """Remind the people of shifts starting within the lead time (once per shift)."""
    now = now or timezone.now()
    due = Shift.objects.filter(
        start_at__gt=now, start_at__lte=now + reminder_lead(), reminded_at__isnull=True
    )
    told = 0
    for shift in due:
        people = list(shift.members.values_list("user_id", flat=True))
        minutes = max(int((shift.start_at - now).total_seconds() // 60), 0)
        told += len(
            notify(
                people,
                kinds.SHIFT,
                f"Reminder: your shift {shift.name} starts in {minutes} min ({when(shift)})",
                shift_url(shift),
                dedupe_key=f"shift-reminder:{shift.pk}",
            )
        )
        Shift.objects.filter(pk=shift.pk).update(reminded_at=now)
    return told


def warn_understaffed(now: datetime | None = None) -> int:
    """Warn a group's admins (and the shift's) once when a shift starting within 48 h is
    not full."""
    now = now or timezone.now()
    due = (
        Shift.objects.filter(
            start_at__gt=now,
            start_at__lte=now + UNDERSTAFFED_WITHIN,
            understaffed_warned_at__isnull=True,
        )
        .annotate(taken=Count("members"))
        .filter(taken__lt=F("people_needed"))
    )
    told = 0
    for shift in due:
        admins = set(
            GroupAdministrator.objects.filter(group_id=shift.group_id).values_list(
                "user_id", flat=True
            )
        ) | set(shift.admins.values_list("pk", flat=True))
        told += len(
            notify(
                admins,
                kinds.SHIFT,
                f"{shift.name} ({when(shift)}) has {shift.taken} of {shift.people_needed} people",
                shift_url(shift),
                dedupe_key=f"shift-understaffed:{shift.pk}",
            )
        )
        Shift.objects.filter(pk=shift.pk).update(understaffed_warned_at=now)
    return told


# --------------------------------------------------------------------------- calendar


def calendar_range(kind: str, start: date) -> tuple[date, date]:
    """[first, last] days shown: a week from Monday, or whole weeks covering the month."""
    if kind == "month":
        first = start.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        begin = first - timedelta(days=first.weekday())
        end = next_month - timedelta(days=1)
        end = end + timedelta(days=6 - end.weekday())
        return begin, end
    begin = start - timedelta(days=start.weekday())
    return begin, begin + timedelta(days=6)


def shifts_between(user, first: date, last: date, group: Group | None = None) -> QuerySet[Shift]:
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    shifts = visible_shifts(user).filter(start_at__lt=end, end_at__gt=start)
    if group is not None:
        shifts = shifts.filter(group=group)
    return (
        shifts.select_related("group").annotate(taken=Count("members")).order_by("start_at", "id")
    )


def calendar_token(user) -> CalendarToken:
    token, _ = CalendarToken.objects.get_or_create(user=user)
    return token


def reset_calendar_token(user) -> CalendarToken:
    CalendarToken.objects.filter(user=user).delete()
    return CalendarToken.objects.create(user=user)


def user_for_token(token: str):
    if not token or len(token) > 64:
        return None
    row = CalendarToken.objects.filter(token=token).select_related("user").first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def ics_feed(user, site_url: str = "") -> bytes:
    """The user's shifts (from 30 days ago on) as an iCalendar document (RFC 5545)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//ICARE-TOM//shifts//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"ICARE-TOM shifts of {user.get_username()}")
    since = timezone.now() - timedelta(days=30)
    shifts = (
        Shift.objects.filter(
            members__user=user, end_at__gte=since, group_id__in=access.user_group_ids(user)
        )
        .select_related("group")
        .order_by("start_at")[:1000]
    )
    for shift in shifts:
        event = Event()
        event.add("uid", f"shift-{shift.pk}@icare-tom")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", shift.start_at)
        event.add("dtend", shift.end_at)
        event.add("summary", f"{shift.name} ({shift.group.name})")
        if shift.description:
            event.add("description", shift.description)
        event.add("url", f"{site_url.rstrip('/')}{shift_url(shift)}")
        cal.add_component(event)
    return cal.to_ical()


def group_members(group: Group) -> QuerySet:
    return get_user_model().objects.filter(groups=group, is_active=True).order_by("username")
