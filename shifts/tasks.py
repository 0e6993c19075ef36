"""Beat tasks: reminders before shifts start, warnings about understaffed shifts."""

from __future__ import annotations

from celery import shared_task

from shifts import services


@shared_task(name="shifts.send_reminders", ignore_result=True)
def send_reminders() -> int:
    return services.send_reminders()


@shared_task(name="shifts.warn_understaffed", ignore_result=True)
def warn_understaffed() -> int:
    return services.warn_understaffed()
