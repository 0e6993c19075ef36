"""Celery tasks of facilities: thin wrappers around facilities.services."""

from __future__ import annotations

from celery import shared_task

from facilities import services


@shared_task(name="facilities.poll_robotic_requests")
def poll_robotic_requests() -> int:
    """Ask robotic facilities (LCO) for the status of every unfinished request."""
    return services.poll_robotic_requests()
