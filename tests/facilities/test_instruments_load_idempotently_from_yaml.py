"""load_instrument: telescope, instrument and fields from config/instruments/*.yaml, twice."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from facilities import footprint, instruments
from facilities.models import Instrument, InstrumentField, InstrumentFieldTile, Telescope
from sources import bands

CONFIG = Path(__file__).resolve().parents[2] / "config" / "instruments"


def run(config: Path, *extra) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_instrument", "--config", str(config), *extra, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_it_loads_ztf_fields_from_the_shared_grid_and_again_changes_nothing(db, shared_data):
    summary, _ = run(CONFIG / "ztf.yaml")
    assert summary == {"telescope": "P48", "instrument": "ZTF", "fields": 1778}
    ztf = Instrument.objects.get(name="ZTF")
    assert ztf.filters == ["ztfg", "ztfr", "ztfi"]
    assert ztf.telescope.latitude == pytest.approx(33.3563)
    n_tiles = InstrumentFieldTile.objects.filter(field__instrument=ztf).count()
    ids_before = sorted(InstrumentField.objects.filter(instrument=ztf).values_list("id", flat=True))

    summary, err = run(CONFIG / "ztf.yaml")
    assert summary["fields"] == 1778
    assert "fields unchanged" in err
    assert Telescope.objects.filter(nickname="P48").count() == 1
    assert InstrumentFieldTile.objects.filter(field__instrument=ztf).count() == n_tiles
    ids_after = sorted(InstrumentField.objects.filter(instrument=ztf).values_list("id", flat=True))
    assert ids_after == ids_before


def test_it_takes_the_field_file_as_an_argument(db, shared_data, tmp_path):
    config = tmp_path / "ztf.yaml"
    config.write_text(
        (CONFIG / "ztf.yaml").read_text().replace("fields/ZTF_Fields.csv", "nope.csv")
    )
    with pytest.raises(Exception, match="not found"):
        run(config)
    summary, _ = run(config, "--fields-file", str(shared_data / "fields" / "ZTF_Fields.csv"))
    assert summary["fields"] == 1778


def test_it_generates_a_grid_from_the_footprint_for_other_telescopes(db):
    summary, _ = run(CONFIG / "tarot_reunion.yaml")
    assert summary["telescope"] == "TRE"
    fields = InstrumentField.objects.filter(instrument__name=summary["instrument"])
    assert fields.count() == summary["fields"] > 500
    decs = list(fields.values_list("dec", flat=True))
    assert min(decs) >= -90 and max(decs) <= 45
    # updating a value keeps the fields and rows
    summary2, err = run(CONFIG / "tarot_reunion.yaml")
    assert summary2 == summary and "fields unchanged" in err


def test_every_shipped_description_is_valid_and_names_its_sources():
    files = sorted(CONFIG.glob("*.yaml"))
    assert len(files) >= 12
    nicknames = set()
    for path in files:
        config = instruments.read_config(path)
        text = path.read_text()
        assert "Sources:" in text or "Source:" in text, path.name
        assert config["telescope"]["source"] and config["instrument"]["source"], path.name
        assert not bands.unknown_bands(config["instrument"]["filters"]), path.name
        footprint.shapes_of(config["instrument"]["footprint"])
        nicknames.add(config["telescope"]["nickname"])
    assert {"P48", "Rubin"} <= nicknames
    assert len(nicknames - {"P48", "Rubin"}) >= 10


def test_it_refuses_filters_that_are_not_sncosmo_bands(db, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text((CONFIG / "kait.yaml").read_text().replace("bessellb", "Johnson-B"))
    with pytest.raises(Exception, match="Johnson-B"):
        run(config)
    assert not Telescope.objects.exists()
