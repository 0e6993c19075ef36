"""Sending deliveries exactly once.

A delivery is *claimed* before anything is sent: one UPDATE moves it from ``pending`` (or
from a ``sending`` claim older than ``NOTIFICATIONS_CLAIM_LEASE_S``, whose worker died) to
``sending`` and commits. Only the worker whose UPDATE returned the row sends it; the row
is then marked ``sent`` (or put back to ``pending`` with a back-off, or ``failed`` with the
reason after ``NOTIFICATIONS_MAX_ATTEMPTS``). A task that is retried, delivered twice by
the broker or run by two workers at once therefore finds nothing left to claim.

The idempotency key also travels with the message (the email's ``Message-ID``, the Slack
request's ``X-Idempotency-Key`` header), so a receiver can drop the one duplicate that a
worker dying between the remote's acceptance and our commit could still cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from notifications.kinds import EMAIL, SLACK
from notifications.models import Delivery
from notifications.outbound import OutboundError, post_json

log = logging.getLogger(__name__)


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "NOTIFICATIONS_CLAIM_LEASE_S", 300)))


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATIONS_MAX_ATTEMPTS", 5))


def backoff_s(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: 10 s, 20 s, 40 s, … capped at one hour."""
    base = float(getattr(settings, "NOTIFICATIONS_BACKOFF_S", 10.0))
    return min(base * 2 ** max(attempts - 1, 0), 3600.0)


def claim(ids: list[int]) -> list[Delivery]:
    """Atomically take the deliveries among ``ids`` that are due and unclaimed (or whose
    claim expired). Committed before returning: the claim survives this worker."""
    with transaction.atomic():
        claimed = _claim_ids(ids, timezone.now())
    return list(Delivery.objects.filter(id__in=claimed).order_by("id"))


def _claim_ids(ids: list[int], now) -> list[int]:
    meta = Delivery._meta
    q = connection.ops.quote_name
    col = {f.name: q(f.column) for f in meta.concrete_fields}
    sql = (
        f"UPDATE {q(meta.db_table)} SET {col['state']} = 'sending', "
        f"{col['attempts']} = {col['attempts']} + 1, {col['claimed_at']} = %s "
        f"WHERE {col['id']} = ANY(%s) AND ("
        f"({col['state']} = 'pending' AND ({col['next_attempt_at']} IS NULL "
        f"OR {col['next_attempt_at']} <= %s)) "
        f"OR ({col['state']} = 'sending' AND {col['claimed_at']} < %s)) "
        f"RETURNING {col['id']}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, list(ids), now, now - lease()])
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Outcome:
    sent: list[int]
    retry: list[tuple[int, float]]  # (delivery id, seconds to wait)
    failed: list[int]


def _record_sent(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), last_error=""
    )


def _record_error(delivery: Delivery, reason: str, permanent: bool, outcome: Outcome) -> None:
    reason = reason[:500]
    if permanent or delivery.attempts >= max_attempts():
        Delivery.objects.filter(pk=delivery.pk).update(
            state=Delivery.State.FAILED, last_error=reason
        )
        outcome.failed.append(delivery.pk)
        log.warning("delivery %s failed for good: %s", delivery.key, reason)
        return
    wait = backoff_s(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.PENDING,
        last_error=reason,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )
    outcome.retry.append((delivery.pk, wait))


def message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@icare-tom>"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    use_ssl: bool
    use_tls: bool


def smtp_config() -> SmtpConfig | None:
    """``EMAIL_URL`` as smtp://[user:pass@]host:port (smtps:// for SSL, ?tls=1 for STARTTLS)."""
    raw = getattr(settings, "EMAIL_URL", "") or ""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("EMAIL_URL must look like smtp://host:port or smtps://host:port")
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "smtps",
        use_tls="tls=1" in (parts.query or ""),
    )


def smtp_connections() -> int:
    """Parallel SMTP connections one worker uses for a batch (I/O-bound: threads)."""
    return settings.NOTIFICATIONS_SMTP_CONNECTIONS


def _send_emails(deliveries: list[Delivery], outcome: Outcome) -> None:
    try:
        config = smtp_config()
    except ValueError as error:
        for d in deliveries:
            _record_error(d, str(error), True, outcome)
        return
    if config is None:
        for d in deliveries:
            _record_error(d, "email is not configured (EMAIL_URL is unset)", True, outcome)
        return
    n = min(smtp_connections(), len(deliveries) // 10 or 1)
    if n == 1 or connection.in_atomic_block:
        # Threads have their own database connections: inside a transaction (tests) they
        # would not see its rows, so a small or transactional batch is sent in this thread.
        _send_email_chunk(deliveries, config, outcome)
        return
    chunks = [deliveries[i::n] for i in range(n)]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="smtp") as pool:
        for future in [pool.submit(_threaded_chunk, c, config, outcome) for c in chunks]:
            future.result()


def _threaded_chunk(chunk: list[Delivery], config: SmtpConfig, outcome: Outcome) -> None:
    try:
        _send_email_chunk(chunk, config, outcome)
    finally:
        connection.close()  # this thread's own database connection


def _send_email_chunk(deliveries: list[Delivery], config: SmtpConfig, outcome: Outcome) -> None:
    """Send over one SMTP connection, recording each message as soon as it is accepted."""
    smtp = get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_ssl=config.use_ssl,
        use_tls=config.use_tls,
        timeout=10,
        fail_silently=False,
    )
    try:
        smtp.open()
    except OSError as error:
        for d in deliveries:
            _record_error(d, f"SMTP server unreachable: {error}", False, outcome)
        return
    try:
        sender = getattr(settings, "EMAIL_FROM", "") or "icare-tom@localhost"
        for d in deliveries:
            message = EmailMessage(
                subject=" ".join(d.subject.split()),  # one line: CR/LF would be refused
                body=d.text,
                from_email=sender,
                to=[d.address],
                headers={"Message-ID": message_id(d.key), "X-Idempotency-Key": d.key},
                connection=smtp,
            )
            try:
                message.send()
            except Exception as error:  # smtplib raises many kinds
                permanent = type(error).__name__ == "SMTPRecipientsRefused"
                _record_error(d, f"SMTP: {error}", permanent, outcome)
                with contextlib.suppress(OSError):
                    smtp.close()
                    smtp.open()
                continue
            _record_sent(d)
            outcome.sent.append(d.pk)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection
            smtp.close()


def slack_text(text: str) -> str:
    """Text as Slack shows it written: ``&``, ``<`` and ``>`` escaped, the only escaping its
    messages know (unescaped, ``<!channel>`` pings everyone, ``<url|label>`` hides a link)."""
    return html.escape(text, quote=False)


def slack_allowed(url: str) -> bool:
    return any(url.startswith(p) for p in getattr(settings, "SLACK_WEBHOOK_PREFIXES", []))


def _send_slack(deliveries: list[Delivery], outcome: Outcome) -> None:
    for d in deliveries:
        if not slack_allowed(d.address):
            _record_error(d, "webhook URL outside the allowed prefixes", True, outcome)
            continue
        try:
            post_json(d.address, {"text": slack_text(d.text)}, {"X-Idempotency-Key": d.key})
        except OutboundError as error:
            _record_error(d, f"Slack: {error}", error.permanent, outcome)
            continue
        _record_sent(d)
        outcome.sent.append(d.pk)


def deliver(ids: list[int]) -> Outcome:
    """Claim and send the due deliveries among ``ids``; what could not be sent is put back
    with a back-off (``Outcome.retry``) or failed with its reason."""
    outcome = Outcome([], [], [])
    claimed = claim(ids)
    _send_emails([d for d in claimed if d.channel == EMAIL], outcome)
    _send_slack([d for d in claimed if d.channel == SLACK], outcome)
    return outcome


def due_delivery_ids(limit: int = 1000) -> list[int]:
    """Deliveries that should be running and are not: pending and due, or claimed by a
    worker that died (claim older than the lease). The sweeper re-enqueues them."""
    now = timezone.now()
    pending = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
    stale = Delivery.objects.filter(state=Delivery.State.SENDING, claimed_at__lt=now - lease())
    return list((pending | stale).order_by("id").values_list("id", flat=True)[:limit])
