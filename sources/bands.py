"""Photometric band names: the names sncosmo registers for its built-in bandpasses.

Instruments list their filters, and follow-up requests and uploads name bands, with these
names only, so photometry from every telescope can be fitted with one set of passbands.
Kept as a list here (sncosmo itself is not a dependency).
"""

from __future__ import annotations

SNCOSMO_BANDS: frozenset[str] = frozenset(
    [
        *("bessellux", "bessellb", "bessellv", "bessellr", "besselli"),
        *("standard::u", "standard::b", "standard::v", "standard::r", "standard::i"),
        *("sdssu", "sdssg", "sdssr", "sdssi", "sdssz"),
        *("ztfg", "ztfr", "ztfi"),
        *("lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"),
        *("ps1::open", "ps1::g", "ps1::r", "ps1::i", "ps1::z", "ps1::y", "ps1::w"),
        *("desg", "desr", "desi", "desz", "desy"),
        *("atlasc", "atlaso"),
        *("2massj", "2massh", "2massks"),
        *("cspb", "cspv3009", "cspv3014", "cspv9844", "cspg", "cspr", "cspi", "cspu"),
        *("cspys", "cspjs", "csphs", "cspk", "cspyd", "cspjd", "csphd"),
        *("keplercam::us", "keplercam::b", "keplercam::v", "keplercam::r", "keplercam::i"),
        *("4shooter2::us", "4shooter2::b", "4shooter2::v", "4shooter2::r", "4shooter2::i"),
        *("uvot::b", "uvot::u", "uvot::v", "uvot::uvm2", "uvot::uvw1", "uvot::uvw2", "uvot::white"),
        *("megacampsf::u", "megacampsf::g", "megacampsf::r", "megacampsf::i", "megacampsf::z"),
        *("sdss::u", "sdss::g", "sdss::r", "sdss::i", "sdss::z"),
        *("gaia::g", "gaia::gbp", "gaia::grp"),
        *("tess",),
        *("f435w", "f475w", "f555w", "f606w", "f625w", "f775w", "f814w", "f850lp"),
        *("f105w", "f110w", "f125w", "f140w", "f160w"),
    ]
)


def unknown_bands(names) -> list[str]:
    """The names that are not sncosmo band names, in input order."""
    return [name for name in names if name not in SNCOSMO_BANDS]
