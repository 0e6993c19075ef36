"""Put simulated alerts on Kafka at a steady rate, in Fink's wire format.

The alerts come from :func:`brokers.fink.simulator.generate_alerts`; each message's
timestamp is its creation time, which is what the latency figures start from.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from brokers.fink.simulator import encode_alert, generate_alerts
from icare_tom.times import jd_to_mjd

__all__ = ["produce_alerts", "wait_for_topic"]


def wait_for_topic(bootstrap: str, topic: str, timeout_s: float) -> int:
    """Wait until ``topic`` exists at ``bootstrap``; returns its partition count.

    Raises TimeoutError when it does not appear within ``timeout_s`` seconds.
    """
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = admin.list_topics(topic=topic, timeout=2.0).topics.get(topic)
            if found is not None and found.error is None and found.partitions:
                return len(found.partitions)
        except KafkaException:
            pass
        if time.monotonic() >= deadline:
            raise TimeoutError(f"topic {topic!r} not found on {bootstrap} after {timeout_s:.0f} s")
        time.sleep(0.5)


def produce_alerts(
    *,
    survey: str,
    bootstrap: str,
    topic: str,
    rate: float,
    count: int | None = None,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    wait_for_topic_s: float = 60.0,
    progress: Callable[[int], None] | None = None,
    progress_every_s: float = 30.0,
    pregenerate: bool = False,
    time_ordered: bool = False,
) -> int:
    """Produce ``count`` alerts (``None``: until ``should_stop()``) at ``rate`` alerts/s.

    ``pregenerate`` builds and encodes all ``count`` alerts before the first is sent,
    so that the rate holds even where simulating an alert (cutouts included) is
    slower than the rate asks; benchmarks use it.

    ``time_ordered`` (with ``pregenerate``) sends the alerts in observation-time order,
    as a survey publishes them; the simulator's own order is by cohort of objects.

    Returns how many were delivered to the broker. Fink's key is the schema, the same
    for every message, so key hashing would put everything on one partition: alerts
    are spread round-robin over the topic's partitions instead.
    """
    from confluent_kafka import Producer

    partitions = wait_for_topic(bootstrap, topic, wait_for_topic_s)
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 5, "message.max.bytes": 10_000_000}
    )
    delivered = [0]
    failures: list[str] = []

    def on_delivery(error, _message) -> None:
        if error is None:
            delivered[0] += 1
        else:
            failures.append(str(error))

    interval = 1.0 / rate
    started = time.monotonic()
    last_progress = started
    records = generate_alerts(survey, count, seed=seed)  # type: ignore[arg-type]
    if pregenerate:
        if count is None:
            raise ValueError("pregenerate needs a count")
        records = list(records)
        if time_ordered:
            records.sort(key=_observation_time)
        messages = iter([encode_alert(r, survey) for r in records])  # type: ignore[arg-type]
        started = last_progress = time.monotonic()
    elif time_ordered:
        raise ValueError("time_ordered needs pregenerate")
    else:
        messages = (encode_alert(r, survey) for r in records)  # type: ignore[arg-type]
    for sent, (key, value, _) in enumerate(messages):
        if should_stop():
            break
        due = started + sent * interval
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        while True:
            try:
                producer.produce(
                    topic,
                    value=value,
                    key=key,
                    partition=sent % partitions,
                    on_delivery=on_delivery,
                )
                break
            except BufferError:  # local queue full: let it drain
                producer.poll(0.1)
        producer.poll(0)
        now = time.monotonic()
        if progress and now - last_progress >= progress_every_s:
            progress(sent + 1)
            last_progress = now
    producer.flush(30)
    if failures:
        raise RuntimeError(f"{len(failures)} alerts were not delivered: {failures[0]}")
    return delivered[0]


def _observation_time(record: dict) -> float:
    """Observation time of a simulated alert (days): ZTF ``candidate.jd``, LSST MJD."""
    if "candidate" in record:
        return jd_to_mjd(record["candidate"]["jd"])
    return record["diaSource"]["midpointMjdTai"]
