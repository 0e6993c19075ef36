"""Importing the settings starts no server: with DATABASE_URL unset they refuse, naming
the entry points that provide the embedded PostgreSQL and Redis."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_refuses_an_unset_database_url_without_starting_anything(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ICARE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="icare_tom.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr
    assert "provide_services" in result.stderr
    assert not (tmp_path / "postgres").exists()
    assert not (tmp_path / "redis").exists()
