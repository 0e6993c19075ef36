from celery import shared_task
from celery.signals import worker_ready

from icare_tom import heartbeat


@shared_task(name="icare_tom.tasks.record_worker_heartbeat", ignore_result=False)
def record_worker_heartbeat() -> float:
    return heartbeat.record_worker_heartbeat(record_worker_heartbeat.request.hostname or "unknown")


@worker_ready.connect
def _heartbeat_when_ready(sender, **_kwargs) -> None:
    heartbeat.record_worker_heartbeat(getattr(sender, "hostname", "unknown"))
