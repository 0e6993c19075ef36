"""Telling users things: ``notify(users, kind, text, url)`` is what every app calls.

It stores the in-app notices in one statement and the email/Slack deliveries in another,
honouring each user's preferences for the kind (channels, only while on shift, quiet
hours, chosen labels), then hands the deliveries to Celery once the transaction commits.
Apps above this one (shifts) answer "who is on shift now" through
:func:`register_on_shift_provider`; this app imports nothing above ``accounts``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from notifications.errors import FieldError
from notifications.kinds import EMAIL, IN_APP, KINDS, SLACK
from notifications.models import (
    TEXT_MAX,
    URL_MAX,
    ChannelAddress,
    Delivery,
    GroupChannel,
    Notification,
    SavedView,
)
from notifications.preferences import preferences_for

log = logging.getLogger(__name__)

OnShiftProvider = Callable[[list[int], datetime], set[int]]
_on_shift_providers: list[OnShiftProvider] = []


def register_on_shift_provider(provider: OnShiftProvider) -> None:
    """``provider(user_ids, at) -> ids of those on shift at ``at```` (the shifts app)."""
    if provider not in _on_shift_providers:
        _on_shift_providers.append(provider)


def on_shift(user_ids: list[int], at: datetime) -> set[int]:
    found: set[int] = set()
    for provider in _on_shift_providers:
        found |= provider(user_ids, at)
    return found


# --------------------------------------------------------------------------- Slack addresses


AddressError = FieldError


def slack_prefixes() -> list[str]:
    return list(getattr(settings, "SLACK_WEBHOOK_PREFIXES", []))


def check_slack_url(url: str, field_name: str = "slack_url") -> str:
    """An empty string, or a webhook URL under one of the allowed prefixes (else AddressError)."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 500:
        raise AddressError(field_name, "at most 500 characters")
    if not any(url.startswith(prefix) for prefix in slack_prefixes()):
        raise AddressError(
            field_name, "not an allowed Slack webhook URL (must start with an allowed prefix)"
        )
    return url


def set_slack_url(user, url: str) -> str:
    url = check_slack_url(url)
    ChannelAddress.objects.update_or_create(user=user, defaults={"slack_url": url})
    return url


def set_group_slack_url(user, group: Group, url: str) -> str:
    url = check_slack_url(url)
    GroupChannel.objects.update_or_create(
        group=group, defaults={"slack_url": url, "updated_by": user}
    )
    return url


# --------------------------------------------------------------------------- notify


def _user_ids(users: Iterable) -> list[int]:
    ids = []
    for user in users:
        ids.append(user if isinstance(user, int) else user.pk)
    return list(dict.fromkeys(ids))


def notify(
    users: Iterable,
    kind: str,
    text: str,
    url: str = "",
    *,
    dedupe_key: str = "",
    label: str | None = None,
    now: datetime | None = None,
    dispatch: bool = True,
) -> list[Notification]:
    """Tell ``users`` (users or ids) about something of ``kind``; returns the notices stored.

    Inactive accounts are skipped. ``dedupe_key``: a second call with the same key for the
    same user does nothing (e.g. one notice per event and profile). ``label``: the class of a
    classification notice, checked against the user's chosen labels. ``dispatch=False``
    leaves the deliveries pending for the sweeper (or a caller) to hand to the workers.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = now or timezone.now()
    ids = _user_ids(users)
    if not ids:
        return []
    User = get_user_model()
    active = dict(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
    prefs = preferences_for(list(active), kind)
    needs_shift = [uid for uid, p in prefs.items() if p.only_on_shift]
    shifting = on_shift(needs_shift, now) if needs_shift else set()
    wanted: dict[int, tuple[str, ...]] = {}
    for uid, pref in prefs.items():
        if not pref.channels:
            continue
        if pref.only_on_shift and uid not in shifting:
            continue
        if label is not None and pref.labels and label not in pref.labels:
            continue
        channels = pref.channels
        if pref.quiet_at(now.astimezone(UTC).time()):
            channels = tuple(c for c in channels if c == IN_APP)
        if channels:
            wanted[uid] = channels
    if not wanted:
        return []
    text = text[:TEXT_MAX]
    url = url[:URL_MAX]
    with transaction.atomic():
        created = _insert_notices(wanted, kind, text, url, dedupe_key[:200])
        deliveries = _create_deliveries(created, wanted, active, kind, text, url)
    if deliveries and dispatch:
        transaction.on_commit(lambda: enqueue(deliveries))
    return created


def _insert_notices(
    wanted: dict[int, tuple[str, ...]], kind: str, text: str, url: str, dedupe_key: str
) -> list[Notification]:
    """One INSERT … ON CONFLICT DO NOTHING RETURNING for every recipient (a repeated
    ``dedupe_key`` inserts nothing)."""
    meta = Notification._meta
    table = connection.ops.quote_name(meta.db_table)
    recipients = list(wanted)
    in_app = [IN_APP in wanted[uid] for uid in recipients]
    col = {f.name: connection.ops.quote_name(f.column) for f in meta.concrete_fields}
    sql = (
        f"INSERT INTO {table} ({col['recipient']}, {col['kind']}, {col['text']}, {col['url']}, "
        f"{col['created']}, {col['in_app']}, {col['dedupe_key']}) "
        "SELECT r, %s, %s, %s, now(), a, %s FROM unnest(%s::bigint[], %s::boolean[]) AS u(r, a) "
        f"ON CONFLICT DO NOTHING RETURNING {col['id']}, {col['recipient']}, {col['created']}, "
        f"{col['in_app']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, text, url, dedupe_key, recipients, in_app])
        rows = cursor.fetchall()
    return [
        Notification(
            id=nid,
            recipient_id=rid,
            kind=kind,
            text=text,
            url=url,
            created=created,
            in_app=shown,
            dedupe_key=dedupe_key,
        )
        for nid, rid, created, shown in rows
    ]


def absolute_url(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def _message(text: str, url: str) -> str:
    return f"{text}\n{absolute_url(url)}" if url else text


def _create_deliveries(
    created: list[Notification],
    wanted: dict[int, tuple[str, ...]],
    emails: dict[int, str],
    kind: str,
    text: str,
    url: str,
) -> list[int]:
    slack_ids = [n.recipient_id for n in created if SLACK in wanted[n.recipient_id]]
    slack = dict(
        ChannelAddress.objects.filter(user_id__in=slack_ids).values_list("user_id", "slack_url")
    )
    subject = f"[ICARE-TOM] {text}"[:200]
    rows: list[tuple[int, str, str, str, str]] = []  # notice, channel, address, state, error
    for notice in created:
        for channel in (EMAIL, SLACK):
            if channel not in wanted[notice.recipient_id]:
                continue
            book = emails if channel == EMAIL else slack
            address = book.get(notice.recipient_id, "") or ""
            if address:
                rows.append((notice.id, channel, address, Delivery.State.PENDING, ""))
            else:
                reason = (
                    "no email address on the account"
                    if channel == EMAIL
                    else "no Slack webhook URL set in the notification preferences"
                )
                rows.append((notice.id, channel, "", Delivery.State.FAILED, reason))
    if not rows:
        return []
    return _insert_deliveries(rows, subject, _message(text, url))


def _insert_deliveries(
    rows: list[tuple[int, str, str, str, str]], subject: str, text: str
) -> list[int]:
    """One INSERT … SELECT FROM unnest for every delivery; returns the pending ones' ids."""
    meta = Delivery._meta
    q = connection.ops.quote_name
    col = {f.name: q(f.column) for f in meta.concrete_fields}
    names = ["notification", "channel", "key", "address", "state", "last_error"]
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(col[n] for n in names)}, "
        f"{col['subject']}, {col['text']}, {col['attempts']}, {col['created']}, "
        f"{col['next_attempt_at']}) "
        "SELECT n, c, n::text || ':' || c, a, s, e, %s, %s, 0, now(), now() "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) "
        "AS u(n, c, a, s, e) "
        f"RETURNING {col['id']}, {col['state']}"
    )
    columns = [list(values) for values in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [subject, text, *columns])
        return [pk for pk, state in cursor.fetchall() if state == Delivery.State.PENDING]


def notify_group(
    group: Group, kind: str, text: str, url: str = "", *, dedupe_key: str = "", exclude=()
) -> list[Notification]:
    """Tell every member of ``group`` (each by their preferences), and post once to the
    group's Slack webhook when it has one."""
    excluded = set(_user_ids(exclude))
    members = [uid for uid in group.user_set.values_list("id", flat=True) if uid not in excluded]
    created = notify(members, kind, text, url, dedupe_key=dedupe_key)
    channel = GroupChannel.objects.filter(group=group).exclude(slack_url="").first()
    if channel is not None:
        key = f"group:{group.pk}:{dedupe_key}" if dedupe_key else None
        if key is None or not Delivery.objects.filter(key=key).exists():
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    group=group,
                    channel=SLACK,
                    key=key or f"group:{group.pk}:{timezone.now().timestamp()}:{id(created)}",
                    address=channel.slack_url,
                    subject=text[:200],
                    text=_message(text[:TEXT_MAX], url[:URL_MAX]),
                    next_attempt_at=timezone.now(),
                )
                transaction.on_commit(lambda: enqueue([delivery.id]))
    return created


def enqueue(delivery_ids: list[int]) -> None:
    """Hand deliveries to the workers in batches (one SMTP connection serves a batch)."""
    from notifications.tasks import deliver

    size = settings.NOTIFICATIONS_BATCH_SIZE
    for start in range(0, len(delivery_ids), size):
        try:
            deliver.delay(delivery_ids[start : start + size])
        except Exception:  # broker down: the sweeper task picks them up later
            log.exception("could not enqueue deliveries; the sweeper will retry them")


# --------------------------------------------------------------------------- reading


def inbox(user):
    return Notification.objects.filter(recipient=user, in_app=True)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return inbox(user).filter(read__isnull=True).count()


def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark the user's notices read (all of them when ``ids`` is None); returns how many."""
    qs = inbox(user).filter(read__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.update(read=timezone.now())


def deliveries_of(user):
    return Delivery.objects.filter(notification__recipient=user).select_related("notification")


def advance_saved_view(view, last_candidate_id: int) -> None:
    """Move a saved view's mark forward (never back) to ``last_candidate_id``."""
    SavedView.objects.filter(pk=view.pk, last_candidate_id__lt=last_candidate_id).update(
        last_candidate_id=last_candidate_id
    )
    view.last_candidate_id = max(view.last_candidate_id, last_candidate_id)
