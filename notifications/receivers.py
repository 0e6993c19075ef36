"""Signal receivers: in-app notices that ``accounts`` writes (join requests, registrations
awaiting approval) are also told through this app, by the user's preferences."""

from __future__ import annotations

from notifications.kinds import JOIN_REQUEST


def account_notice_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if not created or raw:
        return
    from notifications.services import notify

    notify(
        [instance.recipient_id],
        JOIN_REQUEST,
        instance.message,
        instance.url or "",
        dedupe_key=f"accounts-notice:{instance.pk}",
    )
