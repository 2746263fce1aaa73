"""Field vocabulary of aesthetic medicine: treatment categories and the names patients use.

This is the one place where product code knows names that are not the clinic's own: the
brands and common names of treatments that medical spas sell, grouped into categories, so
that a patient who asks for a brand the clinic does not carry ("botox" where the clinic
injects another neurotoxin) is told what the clinic does carry, and a treatment the clinic
does not offer ("coolsculpting", "tattoo removal") is never matched to an offered one that
merely shares a word with it. A clinic's own service is placed in a category from its own
name, aliases, description and ``treats`` (see :mod:`agent.nlu.catalog`); nothing here names
a particular clinic.

Sources (names as marketed in the United States, checked 2026):

* Neurotoxins (botulinum toxin type A): FDA approvals of Botox Cosmetic (2002), Dysport
  (2009), Xeomin (2011), Jeuveau (2019), Daxxify (2022) and Letybo (2024); "tox", "wrinkle
  relaxer" and "lip flip" are the common names used in clinic menus.
* Hyaluronic-acid fillers: the Juvederm family (Voluma, Volbella, Vollure, Volux), the
  Restylane family (Lyft, Kysse, Defyne, Refyne, Contour), RHA (Teoxane/Revance), Revanesse
  Versa, Belotero (FDA PMA database, dermal fillers).
* Biostimulators: Sculptra (poly-L-lactic acid), Radiesse (calcium hydroxylapatite).
* Energy devices: manufacturer names for fat reduction (CoolSculpting, Emsculpt, SculpSure,
  truSculpt), skin tightening (Thermage, Ultherapy, Sofwave), RF microneedling (Morpheus8,
  Vivace, Potenza), resurfacing lasers (Fraxel, Clear + Brilliant, Halo, Moxi, CO2),
  light (IPL, photofacial) and tattoo removal (PicoSure, PicoWay).
* Other menu staples: HydraFacial, dermaplaning, chemical and VI peels, SkinPen
  microneedling, PRP ("vampire facial"), IV drips and vitamin shots, GLP-1 weight loss
  (semaglutide, tirzepatide), brow and lash services, sclerotherapy, PDO threads.

``kind`` of a term: ``"brand"`` (a product the clinic may or may not carry: "we don't carry
Botox"), ``"treatment"`` (one particular treatment of the category: "lip flip", "laser tattoo
removal"), ``"common"`` (a generic name of the category: "tox", "filler", "peel", which any
service of the category answers) or ``"concern"`` (what patients want treated, for clinics
whose services list no ``treats``: "double chin", "unwanted hair"). Concerns here are the
textbook indications of each category, in the words patients use.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AREA_WORDS", "CATEGORIES", "ROLE_WORDS", "Category", "Term", "category"]


@dataclass(frozen=True)
class Term:
    """A name patients use for a treatment.

    ``text`` is the display form ("CoolSculpting"); matching ignores case, spacing and small
    typos. ``kind`` is ``"brand"``, ``"treatment"``, ``"common"`` or ``"concern"`` (see the
    module docstring).
    """

    text: str
    kind: str = "brand"


@dataclass(frozen=True)
class Category:
    """A kind of treatment.

    Attributes:
        id: stable identifier ("neurotoxin").
        label: patient-facing name, lower case ("wrinkle relaxers").
        terms: the names patients use for it.
        related: ids of categories whose services are the closest alternatives when a clinic
            offers nothing of this one, closest first.
        injectable: services of this category are given by injectors.
    """

    id: str
    label: str
    terms: tuple[Term, ...]
    related: tuple[str, ...] = ()
    injectable: bool = False


def _b(*names: str) -> tuple[Term, ...]:
    return tuple(Term(n, "brand") for n in names)


def _t(*names: str) -> tuple[Term, ...]:
    return tuple(Term(n, "treatment") for n in names)


def _k(*names: str) -> tuple[Term, ...]:
    return tuple(Term(n, "concern") for n in names)


def _c(*names: str) -> tuple[Term, ...]:
    return tuple(Term(n, "common") for n in names)


CATEGORIES: tuple[Category, ...] = (
    Category(
        "neurotoxin",
        "wrinkle relaxers",
        _b("Botox", "Botox Cosmetic", "Dysport", "Xeomin", "Jeuveau", "Daxxify", "Letybo")
        + _c("tox", "neurotoxin", "wrinkle relaxer", "botulinum", "newtox")
        + _t("lip flip", "baby botox")
        + _k("forehead lines", "frown lines", "crow's feet", "11s", "wrinkles"),
        related=("filler",),
        injectable=True,
    ),
    Category(
        "filler",
        "fillers",
        _b(
            "Juvederm",
            "Voluma",
            "Volbella",
            "Vollure",
            "Volux",
            "Restylane",
            "Restylane Lyft",
            "Kysse",
            "Defyne",
            "Refyne",
            "RHA",
            "Versa",
            "Revanesse",
            "Belotero",
        )
        + _c("filler", "dermal filler")
        + _t("lip filler", "cheek filler", "chin filler", "jawline filler", "tear trough filler")
        + _k("thin lips", "fuller lips", "hollow cheeks", "volume loss", "under eye hollows"),
        related=("biostimulator", "neurotoxin"),
        injectable=True,
    ),
    Category(
        "biostimulator",
        "collagen stimulators",
        _b("Sculptra", "Radiesse") + _c("biostimulator", "collagen stimulator"),
        related=("filler", "rf_microneedling"),
        injectable=True,
    ),
    Category(
        "fat_reduction",
        "fat reduction",
        _b("CoolSculpting", "Emsculpt", "Emsculpt Neo", "SculpSure", "truSculpt", "Kybella")
        + _c("body contouring", "fat reduction")
        + _t("cryolipolysis", "fat freezing", "fat dissolving")
        + _k("double chin", "belly fat", "love handles", "stubborn fat"),
        related=("skin_tightening", "rf_microneedling"),
    ),
    Category(
        "skin_tightening",
        "skin tightening",
        _b("Thermage", "Ultherapy", "Sofwave")
        + _c("skin tightening", "hifu")
        + _k("loose skin", "sagging skin", "jowls"),
        related=("rf_microneedling", "laser_resurfacing"),
    ),
    Category(
        "rf_microneedling",
        "RF microneedling",
        _b("Morpheus8", "Vivace", "Potenza", "Secret RF") + _c("rf microneedling"),
        related=("microneedling", "skin_tightening", "laser_resurfacing"),
    ),
    Category(
        "microneedling",
        "microneedling",
        _b("SkinPen") + _c("microneedling", "collagen induction") + _k("acne scars", "large pores"),
        related=("rf_microneedling", "peel", "laser_resurfacing"),
    ),
    Category(
        "laser_resurfacing",
        "resurfacing lasers",
        _b("Fraxel", "Clear and Brilliant", "Clear Brilliant", "Halo laser", "Moxi")
        + _c("laser resurfacing")
        + _t("co2 laser", "fractional laser", "laser facial"),
        related=("ipl", "rf_microneedling", "microneedling", "peel"),
    ),
    Category(
        "ipl",
        "light treatments",
        _c("IPL", "photofacial", "intense pulsed light")
        + _k("sun spots", "sun damage", "redness", "rosacea", "broken capillaries"),
        related=("laser_resurfacing", "peel"),
    ),
    Category(
        "hair_removal",
        "hair removal",
        _c("hair removal")
        + _t("laser hair removal", "electrolysis")
        + _k("unwanted hair", "ingrown hairs", "razor bumps"),
    ),
    Category(
        "tattoo_removal",
        "tattoo removal",
        _b("PicoSure", "PicoWay")
        + _c("tattoo removal")
        + _t("laser tattoo removal")
        + _k("tattoo"),
    ),
    Category(
        "peel",
        "peels",
        _b("VI Peel")
        + _c("chemical peel", "peel")
        + _k("melasma", "hyperpigmentation", "dark spots"),
        related=("facial", "microneedling"),
    ),
    Category(
        "facial",
        "facials",
        _b("HydraFacial", "DiamondGlow")
        + _c("facial")
        + _t("dermaplaning", "oxygen facial")
        + _k("clogged pores", "blackheads", "dull skin"),
        related=("peel",),
    ),
    Category(
        "prp",
        "PRP",
        _c("PRP", "PRF", "platelet rich plasma")
        + _t("vampire facial")
        + _k("thinning hair", "hair loss"),
        related=("microneedling",),
    ),
    Category(
        "wellness",
        "IV and vitamin shots",
        _c("IV drip", "IV therapy") + _t("B12", "NAD") + _k("hangover", "dehydration"),
    ),
    Category(
        "weight_loss",
        "medical weight loss",
        _b("Ozempic", "Wegovy", "Mounjaro", "Zepbound")
        + _c("semaglutide", "tirzepatide", "weight loss", "GLP-1"),
    ),
    Category(
        "brows_lashes",
        "brow and lash services",
        _t("brow lamination", "lash lift", "lash extensions", "microblading", "brow tint"),
    ),
    Category(
        "veins",
        "vein treatments",
        _t("sclerotherapy", "spider vein treatment") + _k("spider veins", "varicose veins"),
        ("ipl",),
    ),
    Category("threads", "thread lifts", _t("pdo threads", "thread lift"), ("filler",)),
)

_BY_ID = {c.id: c for c in CATEGORIES}

#: Words that name a person's role at a clinic, never a treatment ("which injector...").
ROLE_WORDS = frozenset(
    [
        "injector",
        "injectors",
        "provider",
        "providers",
        "esthetician",
        "estheticians",
        "aesthetician",
        "aestheticians",
        "nurse",
        "nurses",
        "doctor",
        "doctors",
        "practitioner",
        "practitioners",
    ]
)


#: Body areas: they say *where*, not *what*. A clinic alias made only of area words ("cheeks")
#: yields to a concern the patient names in the same text ("acne scars on my cheeks").
AREA_WORDS = frozenset(
    [
        "face",
        "forehead",
        "brow",
        "brows",
        "eyebrow",
        "eyebrows",
        "eye",
        "eyes",
        "undereye",
        "temple",
        "temples",
        "cheek",
        "cheeks",
        "nose",
        "lip",
        "lips",
        "mouth",
        "chin",
        "jaw",
        "jawline",
        "neck",
        "chest",
        "decolletage",
        "arm",
        "arms",
        "underarm",
        "underarms",
        "armpit",
        "armpits",
        "hand",
        "hands",
        "back",
        "stomach",
        "belly",
        "tummy",
        "abdomen",
        "flank",
        "flanks",
        "thigh",
        "thighs",
        "leg",
        "legs",
        "butt",
        "bikini",
    ]
)


def category(category_id: str) -> Category:
    """The :class:`Category` with id ``category_id``; raises ``KeyError`` for an unknown id."""
    return _BY_ID[category_id]
