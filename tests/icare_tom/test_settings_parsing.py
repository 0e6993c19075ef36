import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from icare_tom.env import Env, celery_broker_url
from tests.conftest import REPO_ROOT


def test_it_reads_booleans_in_the_usual_spellings():
    env = Env({"A": "true", "B": "0", "C": "Yes", "D": "off"})
    assert [env.bool(k, default=None) for k in "ABCD"] == [True, False, True, False]
    assert env.bool("MISSING", default=False) is False


def test_it_names_the_variable_of_a_malformed_boolean():
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='maybe' is not a boolean"):
        Env({"DEBUG": "maybe"}).bool("DEBUG", default=False)


def test_it_rejects_a_malformed_integer_and_one_below_its_minimum():
    with pytest.raises(ImproperlyConfigured, match="CELERY_HEARTBEAT_INTERVAL_S='ten'"):
        Env({"CELERY_HEARTBEAT_INTERVAL_S": "ten"}).int("CELERY_HEARTBEAT_INTERVAL_S", 15)
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        Env({"N": "0"}).int("N", 15, minimum=1)


def test_it_splits_comma_separated_lists():
    env = Env({"ALLOWED_HOSTS": " tom.example.org, 127.0.0.1 ,,"})
    assert env.list("ALLOWED_HOSTS", default=[]) == ["tom.example.org", "127.0.0.1"]


def test_it_parses_a_postgresql_url():
    config = Env({"DATABASE_URL": "postgresql://icare:s3cret@db.example.org:5433/icare"}).database()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example.org", 5433, "icare")
    assert (config["USER"], config["PASSWORD"]) == ("icare", "s3cret")


def test_it_treats_an_unset_database_url_as_embedded():
    assert Env({}).database() is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///db.sqlite3", "PostgreSQL is the only supported database"),
        ("mysql://u@h/db", "must be a PostgreSQL URL"),
        ("postgresql://host:notaport/db", "not a valid database URL"),
        ("postgresql://host:5432", "must name a database"),
    ],
)
def test_it_rejects_a_malformed_database_url(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        Env({"DATABASE_URL": url}).database()


def test_it_rejects_a_redis_url_of_another_scheme():
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be"):
        Env({"REDIS_URL": "http://localhost:6379"}).redis_url()


def test_it_spells_a_unix_socket_the_way_celery_expects():
    assert celery_broker_url("unix:///tmp/r.sock") == "redis+socket:///tmp/r.sock"
    assert celery_broker_url("redis://h:6379/0") == "redis://h:6379/0"


def test_it_refuses_to_start_with_a_malformed_setting():
    environ = {**os.environ, "DEBUG": "perhaps"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr
