"""Follow-up requests: who may make, see and change them, and their life cycle.

Views and the API call these functions; each refusal is a :class:`Refused` carrying the
HTTP status it maps to (400 bad input, 403 not allowed, 404 not visible) and the reason.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from tom_observations.models import ObservationRecord
from tom_targets.models import Target

from accounts import access, acl
from facilities.models import Allocation, FacilityExchange, FollowupRequest, RobotToken
from facilities.plugins import Exchange, FacilityError, plugin_for
from facilities.plugins.parameters import FollowupParametersForm, errors_text

ROBOT_TOKEN_PREFIX = "icr_"
MAX_MESSAGE = 4_000

# robot/observer status changes: from → allowed next states
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"accepted", "observing", "completed", "failed", "cancelled"}),
    "accepted": frozenset({"observing", "completed", "failed", "cancelled"}),
    "observing": frozenset({"completed", "failed", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}


class Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --------------------------------------------------------------------------- visibility


def visible_allocations(user) -> QuerySet[Allocation]:
    """Allocations of the user's groups (all for a super admin)."""
    qs = Allocation.objects.select_related("instrument__telescope", "group")
    if access.is_super_admin(user):
        return qs
    return qs.filter(group_id__in=access.user_group_ids(user))


def requestable_allocations(user) -> QuerySet[Allocation]:
    """Active allocations the user may request observations on."""
    if not access.is_approved(user) or not access.has_acl(user, acl.REQUEST_OBSERVATIONS):
        return Allocation.objects.none()
    now = timezone.now()
    return visible_allocations(user).filter(start__lte=now, end__gt=now).order_by("id")


def visible_requests(user) -> QuerySet[FollowupRequest]:
    """Requests on allocations of the user's groups."""
    qs = FollowupRequest.objects.select_related(
        "allocation__instrument__telescope", "allocation__group", "target", "requester", "record"
    )
    if access.is_super_admin(user):
        return qs
    if not access.is_approved(user):
        return qs.none()
    return qs.filter(allocation__group_id__in=access.user_group_ids(user))


def request_for(user, request_id: Any) -> FollowupRequest:
    try:
        return visible_requests(user).get(pk=int(request_id))
    except (TypeError, ValueError, OverflowError, FollowupRequest.DoesNotExist):
        raise Refused(404, "no such follow-up request") from None


def allocation_for(user, allocation_id: Any) -> Allocation:
    try:
        return visible_allocations(user).get(pk=int(allocation_id))
    except (TypeError, ValueError, OverflowError, Allocation.DoesNotExist):
        raise Refused(404, "no such allocation") from None


def may_administer(user, allocation: Allocation) -> bool:
    """Allocation admins, holders of Manage allocations in its group, super admins."""
    if not access.is_approved(user):
        return False
    if access.is_super_admin(user):
        return True
    if allocation.group_id not in access.user_group_ids(user):
        return False
    return (
        access.has_acl(user, acl.MANAGE_ALLOCATIONS)
        or allocation.admins.filter(pk=user.pk).exists()
    )


# --------------------------------------------------------------------------- exchanges


def record_exchange(
    request: FollowupRequest,
    action: str,
    exchange: Exchange | None = None,
    *,
    user=None,
    robot_token: RobotToken | None = None,
    ok: bool = True,
    sent=None,
    received=None,
) -> FacilityExchange:
    return FacilityExchange.objects.create(
        request=request,
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        robot_token=robot_token,
        sent=sent if sent is not None else (exchange.sent if exchange else {}),
        received=received if received is not None else (exchange.received if exchange else {}),
        ok=ok,
    )


def set_status(request: FollowupRequest, status: str, message: str | None = None) -> None:
    """Change the request's status (and its TOM record's), keeping the last message."""
    request.status = status
    fields = ["status", "updated"]
    if message is not None:
        request.message = message[:MAX_MESSAGE]
        fields.append("message")
    request.save(update_fields=fields)
    record = request.record
    if record.status != status:
        record.status = status
        record.save()


# --------------------------------------------------------------------------- requesting


def check_parameters(allocation: Allocation, parameters: Any) -> dict:
    if not isinstance(parameters, dict):
        raise Refused(400, "parameters must be an object")
    form = FollowupParametersForm(data=parameters, allocation=allocation)
    if not form.is_valid():
        raise Refused(400, errors_text(form))
    return form.parameters()


def _check_may_request(user, allocation: Allocation) -> None:
    if not access.has_acl(user, acl.REQUEST_OBSERVATIONS):
        raise Refused(403, "requesting observations needs the 'Request observations' ACL")
    if not access.is_super_admin(user) and allocation.group_id not in access.user_group_ids(user):
        raise Refused(403, "this allocation belongs to another group")
    if not allocation.is_active():
        raise Refused(400, "this allocation is not valid now (expired or not started)")


def submit_request(user, target: Target, allocation_id: Any, parameters: Any) -> FollowupRequest:
    """Create a request for ``target`` on the allocation and hand it to its facility.

    A facility that refuses or fails leaves the request ``failed`` with its message (it can be
    resubmitted); the request itself is kept either way."""
    try:
        allocation = Allocation.objects.select_related("instrument", "group").get(
            pk=int(allocation_id)
        )
    except (TypeError, ValueError, OverflowError, Allocation.DoesNotExist):
        raise Refused(400, "no such allocation") from None
    _check_may_request(user, allocation)
    if not access.can_view_target(user, target):
        raise Refused(404, "no such target")
    params = check_parameters(allocation, parameters)
    with transaction.atomic():
        record = ObservationRecord.objects.create(
            target=target,
            user=user,
            facility=allocation.facility,
            parameters=params,
            observation_id="",
            status=FollowupRequest.PENDING,
        )
        request = FollowupRequest.objects.create(
            record=record,
            allocation=allocation,
            target=target,
            requester=user,
            parameters=params,
            priority=params["priority"],
        )
    dispatch(request, user)
    return request


def dispatch(request: FollowupRequest, user=None) -> FollowupRequest:
    """Hand a pending request to its facility and record the exchange."""
    try:
        exchange = plugin_for(request.allocation).submit_followup(request)
    except Exception as exc:  # a facility's error or timeout, whatever its type
        message = f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]
        sent = {"parameters": request.parameters}
        record_exchange(
            request, "submit", user=user, ok=False, sent=sent, received={"error": message}
        )
        set_status(request, FollowupRequest.FAILED, message)
        return request
    record_exchange(request, "submit", exchange, user=user)
    if exchange.observation_id and request.record.observation_id != exchange.observation_id:
        request.record.observation_id = exchange.observation_id
        request.record.save()
    set_status(request, exchange.status or FollowupRequest.PENDING, exchange.message or "")
    return request


def edit_request(user, request: FollowupRequest, parameters: Any) -> FollowupRequest:
    """Change a pending request's parameters (the requester or an allocation admin)."""
    _check_may_change(user, request)
    if request.status != FollowupRequest.PENDING:
        raise Refused(400, f"only pending requests can be edited (this one is {request.status})")
    params = check_parameters(request.allocation, parameters)
    request.parameters = params
    request.priority = params["priority"]
    request.save(update_fields=["parameters", "priority", "updated"])
    request.record.parameters = params
    request.record.save()
    record_exchange(request, "edit", user=user, sent={"parameters": params})
    return request


def cancel_request(user, request: FollowupRequest) -> FollowupRequest:
    _check_may_change(user, request)
    if request.is_final:
        raise Refused(400, f"the request is already {request.status}")
    try:
        exchange = plugin_for(request.allocation).cancel_followup(request)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]
        record_exchange(request, "cancel", user=user, ok=False, received={"error": message})
        raise Refused(400, f"the facility did not cancel: {message}") from exc
    record_exchange(request, "cancel", exchange, user=user)
    set_status(request, FollowupRequest.CANCELLED, exchange.message or "cancelled")
    return request


def resubmit_request(user, request: FollowupRequest) -> FollowupRequest:
    _check_may_change(user, request)
    if request.status != FollowupRequest.FAILED:
        raise Refused(400, "only failed requests can be resubmitted")
    _check_may_request(user, request.allocation)
    set_status(request, FollowupRequest.PENDING, "")
    return dispatch(request, user)


def _check_may_change(user, request: FollowupRequest) -> None:
    may_change = request.requester_id == user.pk or may_administer(user, request.allocation)
    if may_change and access.has_acl(user, acl.REQUEST_OBSERVATIONS):
        return
    raise Refused(403, "only the requester or an allocation admin may change this request")


# --------------------------------------------------------------------------- robot side


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_robot_token(user, allocation: Allocation) -> str:
    """A new robot token for the allocation (shown once; only its hash is kept)."""
    if not may_administer(user, allocation):
        raise Refused(403, "only an admin of this allocation may create robot tokens")
    token = ROBOT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    RobotToken.objects.create(
        allocation=allocation, key_hash=_hash(token), prefix=token[:10], created_by=user
    )
    return token


def robot_token_from(header: str) -> RobotToken | None:
    """The live robot token in an ``Authorization: Robot <token>`` (or ``Token``) header."""
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme not in ("Robot", "Token", "Bearer") or not value.startswith(ROBOT_TOKEN_PREFIX):
        return None
    if len(value) > 100:
        return None
    token = RobotToken.objects.filter(key_hash=_hash(value), revoked__isnull=True).first()
    if token is not None and (
        token.last_used is None or (timezone.now() - token.last_used).total_seconds() > 60
    ):
        RobotToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
    return token


def robot_request(token: RobotToken, request_id: Any) -> FollowupRequest:
    """A request of the token's allocation; another allocation's request is refused (403)."""
    try:
        request = FollowupRequest.objects.select_related("allocation", "target", "record").get(
            pk=int(request_id)
        )
    except (TypeError, ValueError, OverflowError, FollowupRequest.DoesNotExist):
        raise Refused(404, "no such request") from None
    if request.allocation_id != token.allocation_id:
        raise Refused(403, "this token is for another allocation")
    return request


def queue_for(token: RobotToken, allocation_id: Any, statuses: list[str], limit: int = 500):
    try:
        allocation_id = int(allocation_id)
    except (TypeError, ValueError, OverflowError):
        raise Refused(404, "no such allocation") from None
    if allocation_id != token.allocation_id:
        raise Refused(403, "this token is for another allocation")
    unknown = set(statuses) - set(TRANSITIONS)
    if unknown:
        raise Refused(400, f"unknown status {sorted(unknown)}; known: {', '.join(TRANSITIONS)}")
    rows = list(
        FollowupRequest.objects.filter(allocation_id=allocation_id, status__in=statuses)
        .order_by("id")
        .values_list(
            "id",
            "status",
            "target__name",
            "target__ra",
            "target__dec",
            "priority",
            "parameters",
            "created",
            "delivered",
        )[:limit]
    )
    keys = ("id", "status", "target", "ra", "dec", "priority", "parameters", "created")
    requests = [dict(zip(keys, row[:-1], strict=True)) for row in rows]
    undelivered = [row[0] for row in rows if row[-1] is None]
    if undelivered:
        now = timezone.now()
        FollowupRequest.objects.filter(pk__in=undelivered, delivered__isnull=True).update(
            delivered=now
        )
        FacilityExchange.objects.bulk_create(
            [
                FacilityExchange(
                    request_id=pk,
                    action="delivered",
                    robot_token=token,
                    sent={"delivered_to": token.prefix + "…"},
                )
                for pk in undelivered
            ]
        )
    return requests


def robot_update(token: RobotToken, request: FollowupRequest, status: Any, message: Any):
    if status not in TRANSITIONS:
        raise Refused(400, f"status must be one of {', '.join(TRANSITIONS)}")
    if message is not None and not isinstance(message, str):
        raise Refused(400, "message must be a string")
    if status != request.status and status not in TRANSITIONS[request.status]:
        raise Refused(400, f"a {request.status} request cannot become {status}")
    record_exchange(
        request,
        "update",
        robot_token=token,
        sent={"status": status, "message": message or ""},
        received={"previous": request.status},
    )
    set_status(request, status, message if message is not None else request.message)
    return request


def robot_photometry(token: RobotToken, request: FollowupRequest, points: Any) -> int:
    """Store the robot's photometry of the request's target (origin ``followup``)."""
    from sources import uploads

    clean = uploads.clean_points(points)
    allocation = request.allocation
    n = uploads.store_photometry(
        request.target,
        clean,
        instrument=allocation.instrument.name[:40],
        groups=[allocation.group],
        owner=None,
        origin="followup",
    )
    record_exchange(
        request,
        "photometry",
        robot_token=token,
        sent={"points": len(points)},
        received={"ingested": n},
    )
    return n


def robot_spectrum(token: RobotToken, request: FollowupRequest, parsed, observed_at):
    from sources import uploads

    allocation = request.allocation
    spectrum = uploads.store_spectrum(
        request.target,
        parsed,
        instrument=allocation.instrument.name,
        observed_at=observed_at,
        groups=[allocation.group],
        owner=None,
        origin="followup",
        label=f"follow-up request #{request.pk}",
    )
    record_exchange(
        request,
        "spectrum",
        robot_token=token,
        sent={"pixels": int(parsed.wavelengths.size)},
        received={"spectrum": spectrum.pk},
    )
    return spectrum


# --------------------------------------------------------------------------- polling


def poll_request(request: FollowupRequest) -> FollowupRequest:
    """Ask a robotic facility for the request's status (and, once completed, its data
    products). A facility that errors leaves the status as it was; the error is recorded."""
    plugin = plugin_for(request.allocation)
    if (
        getattr(plugin, "pushes_status", True)
        or request.is_final
        or not request.record.observation_id
    ):
        return request
    try:
        exchange = plugin.poll_followup(request)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:MAX_MESSAGE]
        record_exchange(request, "status", ok=False, received={"error": message})
        return request
    record_exchange(request, "status", exchange)
    if exchange.status and (
        exchange.status != request.status or exchange.message != request.message
    ):
        set_status(request, exchange.status, exchange.message)
    frames = exchange.received.get("frames") or []
    if exchange.status == FollowupRequest.COMPLETED and frames:
        save_frames(request, frames)
    return request


def save_frames(request: FollowupRequest, frames: list[dict]) -> int:
    """Download the facility's frames into TOM data products of the request's record."""
    from django.core.files.base import ContentFile
    from tom_dataproducts.models import DataProduct

    from facilities import http

    saved = 0
    for frame in frames:
        product_id = str(frame.get("id"))
        if DataProduct.objects.filter(product_id=product_id).exists():
            continue
        filename = str(frame.get("filename") or f"{product_id}.fits").replace("/", "_")[:200]
        try:
            content = http.request(
                "GET", str(frame.get("url") or ""), max_bytes=http.MAX_DATA_PRODUCT_BYTES
            )
        except FacilityError as exc:
            record_exchange(
                request,
                "data",
                ok=False,
                sent={"frame": product_id},
                received={"error": str(exc)[:MAX_MESSAGE]},
            )
            continue
        product = DataProduct.objects.create(
            product_id=product_id,
            target=request.target,
            observation_record=request.record,
            data_product_type="fits_file",
        )
        product.data.save(filename, ContentFile(content))
        record_exchange(
            request,
            "data",
            sent={"frame": product_id},
            received={"filename": filename, "bytes": len(content)},
        )
        saved += 1
    return saved


def poll_robotic_requests(limit: int = 500) -> int:
    """Poll every unfinished request of facilities that do not push their status."""
    from tom_observations.facility import get_service_class

    from facilities.plugins import facility_names

    polled = [
        name
        for name in facility_names()
        if not getattr(get_service_class(name), "pushes_status", True)
    ]
    requests = (
        FollowupRequest.objects.filter(allocation__facility__in=polled)
        .exclude(status__in=FollowupRequest.FINAL)
        .select_related("allocation__instrument", "allocation__group", "target", "record")
        .order_by("updated")[:limit]
    )
    n = 0
    for request in requests:
        poll_request(request)
        n += 1
    return n
