"""The Celery application: Redis broker, tasks discovered in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")

app = Celery("icare_tom")


@app.on_configure.connect
def _provide_services(**_kwargs) -> None:
    """A worker or beat is an entry point: before the settings are read (the first time the
    app's configuration is), start the embedded PostgreSQL/Redis where DATABASE_URL/
    REDIS_URL are unset. In a web process they are set already, and nothing happens."""
    from icare_tom.embedded import provide_services

    provide_services()


app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
