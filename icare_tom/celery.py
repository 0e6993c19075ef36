"""The Celery application: Redis broker, tasks discovered in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")

app = Celery("icare_tom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
