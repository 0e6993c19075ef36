"""Fink's added values a scanner reads first, per survey, and its portal links; registered
with ``sources.display`` by ``BrokersConfig.ready()``."""

from __future__ import annotations

from urllib.parse import quote

KEY_VALUES = {
    "ztf": [
        ("rf_snia_vs_nonia", "RF SN Ia"),
        ("snn_snia_vs_nonia", "SNN SN Ia"),
        ("snn_sn_vs_all", "SNN SN"),
        ("rf_kn_vs_nonkn", "KN"),
        ("candidate_drb", "DRB"),
        ("cdsxmatch", "SIMBAD"),
        ("DR3Name", "Gaia"),
        ("tns", "TNS"),
        ("roid", "SSO flag"),
    ],
    "lsst": [
        ("clf_cats_score", "CATS"),
        ("clf_earlySNIa_score", "early SN Ia"),
        ("clf_snnSnVsOthers_score", "SNN SN"),
        ("diaSource_reliability", "reliability"),
        ("xm_simbad_otype", "SIMBAD"),
        ("xm_gaiadr3_DR3Name", "Gaia"),
        ("xm_tns_fullname", "TNS"),
        ("pred_is_sso", "SSO flag"),
    ],
}

PORTALS = {"ztf": "https://fink-portal.org/", "lsst": "https://lsst.fink-portal.org/"}


def portal_links(survey: str):
    """``links(name, ra, dec)`` for ``sources.display``: the object's Fink portal page."""
    portal = PORTALS[survey]

    def links(name: str, ra: float, dec: float) -> dict[str, str]:
        return {"Fink": portal + quote(name, safe="")}

    return links


def register() -> None:
    from sources.display import register_survey_display

    for survey, keys in KEY_VALUES.items():
        register_survey_display(survey, keys, portal_links(survey))
