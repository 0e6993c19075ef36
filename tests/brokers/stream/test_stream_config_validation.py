"""Stream YAML files: environment placeholders, defaults, and errors that say where."""

from pathlib import Path

import pytest

from brokers.fink.config import ConfigError, load_config, parse_config

REPO_ROOT = Path(__file__).resolve().parents[3]
MINIMAL = {"survey": "ztf", "servers": "h:1", "topics": ["t"], "group_id": "g"}


def test_it_reads_the_example_files_with_secrets_from_the_environment():
    environ = {
        "FINK_ZTF_GROUP_ID": "grandma-ztf",
        "FINK_LSST_SERVERS": "lsst.example:9092",
        "FINK_LSST_GROUP_ID": "grandma-lsst",
        "FINK_USERNAME": "grandma",
        "FINK_PASSWORD": "s3cret",
    }
    ztf = load_config(REPO_ROOT / "config" / "fink_ztf.yaml", environ)
    lsst = load_config(REPO_ROOT / "config" / "fink_lsst.yaml", environ)
    assert (ztf.survey, lsst.survey) == ("ztf", "lsst")
    assert ztf.group_id == "grandma-ztf" and ztf.owning_group == "Fink"
    assert lsst.servers == "lsst.example:9092"
    kafka = ztf.kafka_config()
    assert kafka["sasl.username"] == "grandma" and kafka["sasl.password"] == "s3cret"
    assert kafka["sasl.mechanism"] == "SCRAM-SHA-512"
    assert kafka["enable.auto.commit"] is False
    assert kafka["session.timeout.ms"] <= 10000


def test_it_reads_the_demo_files_without_any_environment():
    for survey in ("ztf", "lsst"):
        config = load_config(REPO_ROOT / "config" / "demo" / f"fink_{survey}.yaml", {})
        assert config.survey == survey
        assert "sasl.username" not in config.kafka_config()


def test_it_names_a_missing_environment_variable_and_the_file():
    with pytest.raises(ConfigError, match=r"fink_ztf.yaml: group_id: .*FINK_ZTF_GROUP_ID"):
        load_config(REPO_ROOT / "config" / "fink_ztf.yaml", {})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"survey": "ptf"}, "'survey' must be one of ztf, lsst"),
        ({"topics": []}, "'topics' must be a non-empty list"),
        ({"servers": ""}, "'servers' is required"),
        ({"batch_size": 0}, "'batch_size' must be at least 1"),
        ({"batch_size": "many"}, "'batch_size' must be a number"),
        ({"poll_timeout_s": -1}, "'poll_timeout_s' must be at least"),
        ({"username": "u"}, "'username' is set but 'password' is empty"),
        ({"topic": "t"}, "unknown setting\\(s\\) topic"),
        ({"kafka": {"enable.auto.commit": True}}, "managed by the consumer"),
        ({"auto_offset_reset": "middle"}, "earliest or latest"),
    ],
)
def test_it_rejects_a_bad_setting_with_a_clear_message(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**MINIMAL, **change}, source="s.yaml", environ={})


def test_it_reports_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("survey: [ztf\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_it_uses_placeholder_defaults():
    config = parse_config(
        {**MINIMAL, "owning_group": "${GROUP:-GRANDMA}", "servers": "${S:-a:1}"}, environ={}
    )
    assert config.owning_group == "GRANDMA" and config.servers == "a:1"
