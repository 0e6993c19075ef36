"""Follow-up request status changes told to the requester and the allocation's admins
(``notifications`` kind ``followup``). A receiver of the request's ``post_save``: every
status write goes through ``facilities.services.set_status`` with ``update_fields``."""

from __future__ import annotations

import logging

from notifications import kinds
from notifications.services import notify

log = logging.getLogger(__name__)


def followup_loaded(sender, instance, **kwargs):
    """Remember the status the request had when loaded, to tell a change from a rewrite."""
    instance._status_before = instance.status


def followup_saved(sender, instance, created: bool, update_fields=None, raw=False, **kwargs):
    before = getattr(instance, "_status_before", None)
    instance._status_before = instance.status
    if raw or created or (update_fields is not None and "status" not in update_fields):
        return
    if before == instance.status:
        return
    try:
        people = {instance.requester_id} | set(
            instance.allocation.admins.values_list("pk", flat=True)
        )
        people.discard(None)
        target = getattr(instance.target, "name", "")
        text = f"Follow-up of {target} on {instance.allocation.instrument}: {instance.status}"
        if instance.message:
            text += f" ({instance.message[:150]})"
        notify(
            people,
            kinds.FOLLOWUP,
            text,
            f"/sources/{target}/" if target else "",
            dedupe_key=f"followup:{instance.pk}:{instance.status}:{instance.updated.timestamp()}",
        )
    except Exception:  # telling people never breaks a status change
        log.exception("could not notify about follow-up request %s", instance.pk)
