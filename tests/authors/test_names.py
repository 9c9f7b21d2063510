"""Name forms and slugs on real author names (from tests/fixtures/data/authors)."""

from __future__ import annotations

from paperwire.authors.names import compatible, name_slug, parse_name, parse_slug


def test_accents_hyphens_and_order_meet() -> None:
    assert name_slug("Zoë Müller") == name_slug("Zoe Muller") == name_slug("Müller, Zoë")
    assert name_slug("Érick Oliveira Rodrigues") == "erick-oliveira-rodrigues"
    assert name_slug("Natalia Díaz-Rodríguez") == name_slug("Natalia Díaz Rodríguez")
    assert name_slug("Emil Björnson") == name_slug("Emil Bjornson") == "emil-bjornson"


def test_initials_are_their_own_form_compatible_with_the_full_name() -> None:
    initials, full = parse_name("É. O. Rodrigues"), parse_name("Erick Oliveira Rodrigues")
    assert initials and full and initials.slug == "e-o-rodrigues" and initials.initials_only
    assert compatible(initials, full)
    other = parse_name("Everson H Rodrigues")
    assert other and not compatible(initials, other) and not compatible(full, other)
    assert not compatible(parse_name("Zoe A. Muller"), parse_name("Zoe B. Muller"))  # type: ignore[arg-type]


def test_collaborations_single_names_and_cjk_are_whole() -> None:
    atlas = parse_name("ATLAS Collaboration")
    assert atlas and atlas.whole and atlas.slug == "atlas-collaboration"
    assert name_slug("the LSST Dark Energy Science Collaboration") == name_slug(
        "The LSST Dark Energy Science Collaboration"
    )
    aditi = parse_name("Aditi")
    assert aditi and aditi.whole and aditi.slug == "aditi"
    # No name in a non-Latin script is in ../shared/data; these two are made up.
    cjk = parse_name("张伟")
    assert cjk and cjk.whole and cjk.slug == "张伟"
    assert name_slug("张 伟") == "张-伟" != name_slug("张伟")
    assert parse_name(" — ") is None and name_slug(":") is None


def test_slugs_round_trip_and_are_unique_per_form() -> None:
    names = ["Zoë Müller", "Z. Müller", "ATLAS Collaboration", "Aditi", "张伟", "Jean-Luc Picard"]
    for name in names:
        parsed = parse_name(name)
        assert parsed and parse_slug(parsed.slug) == parsed
    forms = {parse_name(n).form: parse_name(n).slug for n in names}  # type: ignore[union-attr]
    assert len(set(forms.values())) == len(forms)
    assert parse_slug("Zoë-Müller") == parse_name("Zoe Muller")
