"""Why a Fink record is not an alert we can ingest: :class:`AlertRejected` and its codes."""

from __future__ import annotations


class AlertRejected(Exception):
    """A record that cannot become a :class:`NormalizedAlert`.

    ``reason`` is a short machine-readable code, stable across releases so that
    quarantine rows can be grouped by it:

    * ``undecodable`` - bytes that are not Avro (or not decodable with the schema);
    * ``truncated`` - an Avro container or message that ends before its data;
    * ``unknown_schema`` - a Kafka message whose schema we cannot find;
    * ``wrong_schema`` - a decoded record that is not an alert of the expected survey;
    * ``missing_field:<path>`` - a required field is absent or null;
    * ``bad_value:<path>`` - a required field has an unusable value (e.g. unknown band);
    * ``nan_coordinates`` - RA/Dec are NaN or infinite.
    * ``too_large`` - a file or Kafka message above its size cap, refused unread (only
      its first bytes are kept, with its size and SHA-256 in ``detail``).

    ``detail`` is free text for humans (exception message, offending value).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# What a parser bug on a strange record raises; reported as ``bad_value:<exception>``.
PARSER_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def as_rejection(exc: Exception) -> AlertRejected:
    """``exc`` as a rejection (``bad_value:<exception type>`` unless it is one already)."""
    if isinstance(exc, AlertRejected):
        return exc
    return AlertRejected(f"bad_value:{type(exc).__name__}", str(exc))
