"""Celery wrappers of the sources app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="sources.match_saved_views", ignore_result=True)
def match_saved_views() -> int:
    from sources.saved_views import match_saved_views as run

    return run()
