"""Celery wrappers: deliver a batch, sweep what was left behind, match saved queue views."""

from __future__ import annotations

from celery import shared_task

from notifications import delivery


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(ids: list[int]) -> dict:
    """Send a batch of deliveries; failures come back with a back-off (countdown)."""
    outcome = delivery.deliver([int(i) for i in ids][:500])
    by_wait: dict[float, list[int]] = {}
    for delivery_id, wait in outcome.retry:
        by_wait.setdefault(wait, []).append(delivery_id)
    for wait, retry_ids in by_wait.items():
        deliver.apply_async((retry_ids,), countdown=wait)
    return {"sent": len(outcome.sent), "retry": len(outcome.retry), "failed": len(outcome.failed)}


@shared_task(name="notifications.sweep_deliveries", ignore_result=True)
def sweep_deliveries() -> int:
    """Re-enqueue deliveries that are due but not running (lost task, dead worker)."""
    from notifications.services import enqueue

    ids = delivery.due_delivery_ids()
    if ids:
        enqueue(ids)
    return len(ids)
