"""Notification kinds and channels. Django-free, so anything may import it."""

from __future__ import annotations

MENTION = "mention"
CLASSIFICATION = "classification"
SAVED_VIEW = "saved_view"
GCN_EVENT = "gcn_event"
FOLLOWUP = "followup"
PLAN = "plan"
JOIN_REQUEST = "join_request"
SHIFT = "shift"

KINDS: tuple[str, ...] = (
    MENTION,
    CLASSIFICATION,
    SAVED_VIEW,
    GCN_EVENT,
    FOLLOWUP,
    PLAN,
    JOIN_REQUEST,
    SHIFT,
)
KIND_LABELS = {
    MENTION: "Mentions in comments",
    CLASSIFICATION: "Classifications of my groups' sources",
    SAVED_VIEW: "New candidates in my saved queue views",
    GCN_EVENT: "GCN events matching my profiles",
    FOLLOWUP: "Follow-up request status changes",
    PLAN: "Observation plans finished or failed",
    JOIN_REQUEST: "Group join requests and registrations",
    SHIFT: "Shift reminders and replacement requests",
}

IN_APP = "in_app"
EMAIL = "email"
SLACK = "slack"
CHANNELS: tuple[str, ...] = (IN_APP, EMAIL, SLACK)
EXTERNAL_CHANNELS: tuple[str, ...] = (EMAIL, SLACK)

DEFAULT_CHANNELS: tuple[str, ...] = (IN_APP,)


def kind_choices() -> list[tuple[str, str]]:
    return [(k, k) for k in KINDS]


def channel_choices() -> list[tuple[str, str]]:
    return [(c, c) for c in CHANNELS]
