"""pytest plugin (``-p icare_tom.testing`` in pyproject's addopts): the test run is an
entry point like ``manage.py``, so it provides the embedded PostgreSQL and Redis where
``DATABASE_URL``/``REDIS_URL`` are unset, before pytest-django loads the settings."""

from icare_tom.embedded import provide_services

provide_services()
