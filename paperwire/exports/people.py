"""Authors' names as reference managers split them: a family name and given names."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """One author: ``family`` and ``given``, or only ``literal`` (a single word, a collaboration)
    when the name cannot be split."""

    family: str = ""
    given: str = ""
    literal: str = ""

    @property
    def inverted(self) -> str:
        """``Family, Given`` (RIS ``AU``), or the name whole."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family


def person(name: str) -> Person:
    """``Zesen Cheng`` → Cheng, Zesen; ``Cheng, Zesen`` stays so split; ``Plato`` and
    ``ATLAS Collaboration``-like single words whole. The last word is the family name, as
    ``bibtex.bib_name`` takes it, so the exports agree."""
    name = " ".join(name.split())
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        return Person(family=family, given=given) if family else Person(literal=given)
    if " " not in name:
        return Person(literal=name)
    given, family = name.rsplit(" ", 1)
    return Person(family=family, given=given)
