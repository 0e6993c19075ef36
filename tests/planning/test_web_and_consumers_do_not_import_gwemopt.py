"""gwemopt (lalsuite, numba, ~470 MB) is imported by the planning worker only: loading the
web URLconf, the API views and the stream consumers' modules leaves it out."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT

PROBE = """
import sys, django
django.setup()
import icare_tom.urls, planning.api, planning.views, planning.services, planning.tasks
import gcn.listener, brokers.fink.consumer
from django.urls import get_resolver
get_resolver().url_patterns
assert "gwemopt" not in sys.modules, sorted(m for m in sys.modules if m.startswith("gwemopt"))
print("ok")
"""


def test_it_keeps_gwemopt_out_of_the_web_process():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "icare_tom.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
