"""The Fink taxonomy (Fink classes, LSST CATS classes, TNS and SIMBAD types) and how
topics and scores map onto it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FINK_TAXONOMY_VERSION = "2026.03-1"

# SIMBAD object types as they appear in ZTF ``cdsxmatch``/``finkclass`` (Fink copies
# the SIMBAD short otype of the closest counterpart), grouped the way SIMBAD does.
_SIMBAD_TYPES: dict[str, dict[str, Any]] = {
    "Stars": {
        "Star": {},
        "Blue": {},
        "HotSubdwarf": {},
        "WhiteDwarf": {},
        "WD*": {},
        "low-mass*": {},
        "BrownD*": {},
        "Candidate_YSO": {},
        "YSO": {},
        "TTau*": {},
        "Candidate_TTau*": {},
        "Orion_V*": {},
        "Be*": {},
        "Em*": {},
        "HB*": {},
        "RGB*": {},
        "AGB*": {},
        "C*": {},
        "S*": {},
        "post-AGB*": {},
        "HighPM*": {},
        "EB*": {},
        "Candidate_EB*": {},
        "SB*": {},
        "XB": {},
        "LMXB": {},
        "HMXB": {},
        "CataclyV*": {},
        "Candidate_CV*": {},
        "Nova": {},
        "Symbiotic*": {},
    },
    "Variable stars": {
        "V*": {},
        "Candidate_V*": {},
        "RRLyr": {},
        "Candidate_RRLyr": {},
        "Cepheid": {},
        "delSctV*": {},
        "gammaDor": {},
        "Mira": {},
        "LPV*": {},
        "Candidate_LP*": {},
        "semi-regV*": {},
        "RSCVnV*": {},
        "BYDraV*": {},
        "Eruptive*": {},
        "Irregular_V*": {},
        "PulsV*": {},
        "Flare*": {},
        "RCrBV*": {},
        "Ae*": {},
    },
    "Galaxies": {
        "Galaxy": {},
        "GinCl": {},
        "GinGroup": {},
        "GinPair": {},
        "EmG": {},
        "StarburstG": {},
        "HII_G": {},
        "LSB_G": {},
        "RadioG": {},
        "AGN": {},
        "Candidate_AGN": {},
        "QSO": {},
        "Candidate_QSO": {},
        "Seyfert": {},
        "Seyfert_1": {},
        "Seyfert_2": {},
        "Blazar": {},
        "BLLac": {},
        "LINER": {},
        "GravLensSystem": {},
    },
    "Other SIMBAD": {
        "Radio": {},
        "X": {},
        "IR": {},
        "UV": {},
        "Unknown_Candidate": {},
        "Transient": {},
        "SN": {},
        "Planet": {},
        "Cluster*": {},
        "OpenCluster": {},
        "GlobCluster": {},
        "HII": {},
        "PN": {},
        "ISM": {},
    },
}

# TNS object types (as in LSST ``xm.tns_type``; ZTF ``tnsclass`` prefixes them with "(TNS) ").
_TNS_TYPES: dict[str, dict[str, Any]] = {
    "Supernova (TNS)": {
        "SN Ia": {
            "SN Ia-91T-like": {},
            "SN Ia-91bg-like": {},
            "SN Ia-CSM": {},
            "SN Ia-pec": {},
            "SN Iax[02cx-like]": {},
            "SN Ia-SC": {},
        },
        "SN Ib": {},
        "SN Ic": {},
        "SN Ic-BL": {},
        "SN Ib/c": {},
        "SN Ibn": {},
        "SN Icn": {},
        "SN II": {},
        "SN IIP": {},
        "SN IIL": {},
        "SN IIn": {},
        "SN IIb": {},
        "SN I": {},
        "SLSN-I": {},
        "SLSN-II": {},
        "SLSN-R": {},
    },
    "TDE": {"TDE-H": {}, "TDE-He": {}, "TDE-H-He": {}, "TDE-featureless": {}},
    "Kilonova": {},
    "FBOT": {},
    "LBV": {},
    "ILRT": {},
    "LRN": {},
    "Nova (TNS)": {},
    "CV": {},
    "Varstar": {},
    "AGN (TNS)": {},
    "Galaxy (TNS)": {},
    "Other (TNS)": {},
}

# LSST CATS broad classes: ``clf.cats_class`` / ``pred.main_label_classifier`` codes.
LSST_CATS_CLASSES = {
    11: "SN-like",
    12: "Fast",
    13: "Long",
    21: "Periodic",
    22: "Non-periodic",
}

# The hierarchy the bootstrap creates: label → children. Labels are unique over the
# whole tree, so a label alone identifies a node.
FINK_TAXONOMY: dict[str, Any] = {
    "Fink": {
        "Fink classifiers": {
            "SN candidate": {},
            "Early SN Ia candidate": {},
            "Kilonova candidate": {},
            "Microlensing candidate": {},
            "Solar System": {"Solar System MPC": {}, "Solar System candidate": {}},
            "Tracklet": {},
            "Anomaly": {},
            "Ambiguous": {},
            "Unknown": {},
        },
        "LSST classifier (CATS)": {
            "SN-like": {},
            "Fast": {},
            "Long": {},
            "Periodic": {},
            "Non-periodic": {},
        },
        "TNS": _TNS_TYPES,
        "SIMBAD": _SIMBAD_TYPES,
    }
}


def iter_taxonomy(tree: dict[str, Any] | None = None) -> Iterator[tuple[str, str | None]]:
    """Yield ``(label, parent_label)`` for every node of :data:`FINK_TAXONOMY`.

    Parents come before their children, so a bootstrap can create nodes in this
    order with ``get_or_create``-style upserts keyed on the label.
    """
    stack: list[tuple[str | None, dict[str, Any]]] = [(None, tree or FINK_TAXONOMY)]
    while stack:
        parent, children = stack.pop(0)
        for label, grandchildren in children.items():
            yield label, parent
            if grandchildren:
                stack.append((label, grandchildren))


TAXONOMY_LABELS = frozenset(label for label, _ in iter_taxonomy())

# Substrings of Fink topic names → the class the topic selects. Order matters:
# the most specific pattern comes first.
TOPIC_CLASSES: tuple[tuple[str, str], ...] = (
    ("early_kn", "Kilonova candidate"),
    ("rate_based_kn", "Kilonova candidate"),
    ("kn_candidates", "Kilonova candidate"),
    ("kilonova", "Kilonova candidate"),
    ("early_sn", "Early SN Ia candidate"),
    ("early_snia", "Early SN Ia candidate"),
    ("sn_candidates", "SN candidate"),
    ("most_likely_sn", "SN candidate"),
    ("microlensing", "Microlensing candidate"),
    ("sso_ztf", "Solar System MPC"),
    ("sso_fink", "Solar System candidate"),
    ("solar_system", "Solar System candidate"),
    ("tracklet", "Tracklet"),
    ("anomaly", "Anomaly"),
)


def classification_from_topic(topic: str | None) -> str | None:
    """Return the Fink class a topic selects (``fink_kn_candidates_ztf`` → Kilonova)."""
    if not topic:
        return None
    lowered = topic.lower()
    for pattern, label in TOPIC_CLASSES:
        if pattern in lowered:
            return label
    return None


# ZTF class → the Fink score that is its probability.
ZTF_CLASS_PROBABILITY_FIELD = {
    "Kilonova candidate": "rf_kn_vs_nonkn",
    "Early SN Ia candidate": "rf_snia_vs_nonia",
    "SN candidate": "snn_sn_vs_all",
    "Microlensing candidate": "mulens",
}
