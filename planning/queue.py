"""Sending plans to telescope queues (the allocation's Queue facility) and taking them back."""

from __future__ import annotations


class QueueError(Exception):
    """A plan that cannot be sent or withdrawn (the message says why)."""


def send_plan(plan, user) -> int:
    raise QueueError("sending plans to telescope queues is not available yet")


def withdraw_plan(plan) -> int:
    raise QueueError("sending plans to telescope queues is not available yet")


def withdraw_event(event_id: int) -> int:
    return 0
