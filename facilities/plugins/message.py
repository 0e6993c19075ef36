"""The message facility (``Message``): a request goes to the telescope team as a formatted
email through Django's mail, sent to the project's SMTP server (``EMAIL_URL``, as read by
``notifications.delivery.smtp_config``; ``EMAIL_FROM``); the team answers by
updating the request (queue API with the allocation's robot token, or the follow-up page).

The allocation's credentials hold the recipients: ``{"email": "team@example.org, …"}``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from tom_observations.facility import BaseManualObservationFacility, BaseManualObservationForm

from facilities.plugins import AllocationBound, Exchange, FacilityError

MAX_RECIPIENTS = 20


def recipients_of(allocation) -> list[str]:
    raw = allocation.get_credentials().get("email", "")
    addresses = [a.strip() for a in str(raw).replace(";", ",").split(",") if a.strip()]
    if not addresses:
        raise FacilityError("the allocation has no recipient: set credentials {'email': …}")
    if len(addresses) > MAX_RECIPIENTS or any("@" not in a or "\n" in a for a in addresses):
        raise FacilityError("the allocation's recipient list is not a list of email addresses")
    return addresses


def smtp_connection():
    """A Django SMTP connection to the server named by ``EMAIL_URL``."""
    from django.core.mail import get_connection

    from notifications.delivery import smtp_config

    try:
        config = smtp_config()
    except ValueError as exc:
        raise FacilityError(str(exc)) from None
    if config is None:
        raise FacilityError("email is not configured (EMAIL_URL is unset)")
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_ssl=config.use_ssl,
        use_tls=config.use_tls,
        timeout=float(getattr(settings, "FACILITY_HTTP_TIMEOUT_S", 20)),
    )


def format_request(request) -> tuple[str, str]:
    """Subject and plain-text body of a follow-up request (coordinates in degrees, times UTC)."""
    target = request.target
    p = request.parameters
    subject = f"[ICARE-TOM] Follow-up request #{request.pk}: {target.name}"
    lines = [
        f"Follow-up request #{request.pk} for {request.allocation.instrument.name}",
        f"Allocation: {request.allocation.pi} ({request.allocation.group.name})",
        f"Requested by: {request.requester.username if request.requester else '-'}",
        "",
        f"Target: {target.name}",
        f"RA, Dec (deg, ICRS): {target.ra:.6f} {target.dec:+.6f}",
        f"Filters: {', '.join(p.get('filters', []))}",
        f"Exposure: {p.get('exposure_count', 1)} x {p.get('exposure_time')} s",
        f"Priority: {p.get('priority', 3)} (1 highest)",
        f"Window (UTC): {p.get('start')} - {p.get('end')}",
        f"Comment: {p.get('comment') or '-'}",
    ]
    return subject, "\n".join(lines) + "\n"


class MessageForm(BaseManualObservationForm):
    pass


class MessageFacility(AllocationBound, BaseManualObservationFacility):
    name = "Message"
    observation_types = [("MESSAGE", "Message")]
    observation_forms = {"MESSAGE": MessageForm}
    pushes_status = True

    def _send(self, request, subject: str, body: str) -> Exchange:
        to = recipients_of(self.allocation)
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
            connection=smtp_connection(),
        )
        try:
            sent = message.send(fail_silently=False)
        except Exception as exc:  # SMTP refused or unreachable
            raise FacilityError(f"email not sent: {exc}") from exc
        return Exchange(
            sent={"to": to, "subject": subject, "body": body},
            received={"delivered": sent},
            observation_id=f"message-{request.pk}",
            status="pending",
            message=f"sent by email to {', '.join(to)}",
        )

    def submit_followup(self, request) -> Exchange:
        subject, body = format_request(request)
        return self._send(request, subject, body)

    def cancel_followup(self, request) -> Exchange:
        subject, body = format_request(request)
        exchange = self._send(
            request, "CANCELLED: " + subject, "This request is cancelled.\n\n" + body
        )
        exchange.status = "cancelled"
        return exchange

    def poll_followup(self, request):
        return None

    def get_form(self, observation_type):
        return MessageForm

    def submit_observation(self, observation_payload):
        raise FacilityError("message requests are made from the source page or the API")

    def validate_observation(self, observation_payload):
        return []

    def get_terminal_observing_states(self):
        return ["completed", "failed", "cancelled"]

    def get_observing_sites(self):
        return {}

    def get_observation_url(self, observation_id):
        return ""

    def data_products(self, observation_id, product_id=None):
        return []
