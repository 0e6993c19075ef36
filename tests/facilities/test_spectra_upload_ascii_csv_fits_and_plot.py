"""Spectra: POST /api/spectra (JSON arrays or a file), the source page's upload (ASCII, CSV,
FITS 1-D), plotted on the source page for the groups they were uploaded for."""

from __future__ import annotations

import io
import json

import numpy as np
from astropy.io import fits
from django.test import Client

from sources.models import Spectrum
from tests.facilities.conftest import api


def _fits_bytes() -> bytes:
    flux = np.linspace(1e-16, 2e-16, 500)
    hdu = fits.PrimaryHDU(flux)
    hdu.header["CRVAL1"], hdu.header["CDELT1"], hdu.header["CRPIX1"] = 3800.0, 2.0, 1.0
    hdu.header["CUNIT1"], hdu.header["BUNIT"] = "Angstrom", "erg/s/cm2/Angstrom"
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def test_it_takes_json_arrays(alice, target_a):
    client = Client()
    client.force_login(alice)
    response = api(
        client,
        "post",
        "/api/spectra",
        {
            "target": target_a.name,
            "instrument": "BFOSC",
            "observed_at": "2026-11-30T20:00:00Z",
            "wavelengths": [5000, 4000, 6000],
            "fluxes": [2.0, 1.0, 3.0],
            "errors": [0.1, 0.1, 0.1],
        },
    )
    assert response.status_code == 201, response.content
    spectrum = Spectrum.objects.get(pk=response.json()["id"])
    assert spectrum.wavelengths == [4000, 5000, 6000] and spectrum.fluxes == [1.0, 2.0, 3.0]
    assert list(spectrum.groups.values_list("name", flat=True)) == ["GRANDMA-A"]


def test_it_reads_ascii_csv_and_fits_files(alice, target_a):
    client = Client()
    client.force_login(alice)
    files = {
        "s.txt": b"# wavelength flux\n4000 1.0e-16\n4010 1.1e-16\n4020 1.2e-16\n",
        "s.csv": b"wavelength,flux,error\n4000,1.0,0.1\n4010,1.1,0.1\n",
        "s.fits": _fits_bytes(),
    }
    for name, content in files.items():
        upload = io.BytesIO(content)
        upload.name = name
        response = client.post(
            "/api/spectra",
            {
                "target": target_a.name,
                "instrument": "T120",
                "observed_at": "2026-11-30T20:00:00Z",
                "file": upload,
            },
        )
        assert response.status_code == 201, (name, response.content)
    fits_spectrum = Spectrum.objects.get(label="s.fits")
    assert len(fits_spectrum.wavelengths) == 500
    assert fits_spectrum.wavelengths[0] == 3800.0 and fits_spectrum.wavelengths[-1] == 4798.0

    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert 'id="spectra-data"' in page and page.count('class="spectrum-item"') == 3
    data = page.split('id="spectra-data" type="application/json">')[1].split("</script>")[0]
    assert len(json.loads(data)) == 3


def test_it_names_the_bad_lines_and_stores_nothing(alice, bob, target_a):
    client = Client()
    client.force_login(alice)
    upload = io.BytesIO(b"4000 1.0\n4010 abc\n4020 1.2\n4030\n")
    upload.name = "bad.txt"
    response = client.post(
        "/api/spectra",
        {
            "target": target_a.name,
            "instrument": "T120",
            "observed_at": "2026-11-30T20:00:00Z",
            "file": upload,
        },
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "line 2" in detail and "line 4" in detail
    for bad in (b"\x00\x01\x02", b"SIMPLE  = T broken"):
        upload = io.BytesIO(bad)
        upload.name = "x.fits"
        response = client.post(
            "/api/spectra",
            {
                "target": target_a.name,
                "instrument": "T120",
                "observed_at": "2026-11-30T20:00:00Z",
                "file": upload,
            },
        )
        assert response.status_code == 400
    assert not Spectrum.objects.exists()

    bob_client = Client()
    bob_client.force_login(bob)
    response = api(
        bob_client,
        "post",
        "/api/spectra",
        {
            "target": target_a.name,
            "instrument": "x",
            "observed_at": "2026-11-30T20:00:00Z",
            "wavelengths": [1, 2],
            "fluxes": [1, 2],
        },
    )
    assert response.status_code == 404


def test_other_groups_do_not_see_the_spectrum(alice, bob, target_a, group_b):
    from accounts import services

    services.assign_target_to_groups(target_a, [group_b])
    client = Client()
    client.force_login(alice)
    api(
        client,
        "post",
        "/api/spectra",
        {
            "target": target_a.name,
            "instrument": "BFOSC",
            "observed_at": "2026-11-30T20:00:00Z",
            "wavelengths": [4000, 5000],
            "fluxes": [1, 2],
        },
    )
    bob_client = Client()
    bob_client.force_login(bob)
    page = bob_client.get(f"/sources/{target_a.name}/").content.decode()
    assert "spectrum-item" not in page and "BFOSC" not in page
