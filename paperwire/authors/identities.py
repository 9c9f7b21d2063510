"""Who an author page is about: the name forms of one person, told apart from namesakes.

Forms that are compatible (``names.compatible``: ``zoe muller`` and ``z muller``, ``wei zhang`` and
``zhang wei``) join only on evidence that they are one person: a co-author in common or a category in
common. Joins are made strongest evidence first and never put two incompatible forms in one
identity, so ``Z. Müller`` does not chain ``Zoë Müller`` to ``Zachary Müller``. An identity says it
``may cover several people`` when a form of it also had evidence for another identity, or when its
papers fall into groups sharing neither a co-author nor a category.

Everything is computed from the ``paper_authors`` rows of the families in the asked name, so the
page, ``GET /api/authors/{slug}`` and the ``au:`` search filter (``papers_of``) agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.authors.names import NameForm, compatible, parse_name, parse_slug
from paperwire.db.models import Paper, PaperAuthor, User

# Co-authors and categories listed on a page.
TOP = 12
# Beyond this many authors a paper's co-authors say little about who one of them is (every
# common family name and initial is among them): such papers give only their categories.
COAUTHOR_EVIDENCE_MAX = 50


@dataclass
class _Occurrence:
    paper_id: str
    name: str
    coauthors: frozenset[str]
    categories: frozenset[str]


@dataclass
class Identity:
    """One person (as far as the names tell) behind an author page."""

    slug: str
    name: str
    forms: tuple[str, ...]
    names: tuple[str, ...]
    paper_ids: tuple[str, ...]
    coauthors: tuple[tuple[str, str, int], ...] = ()  # name, slug, papers together
    categories: tuple[tuple[str, int], ...] = ()
    several: bool = False
    see_also: tuple[tuple[str, str], ...] = ()  # name, slug of namesakes
    claimed_by: str | None = None  # the member's user name, once a claim is approved


def _key(form: NameForm) -> str:
    """What two co-author names must share to count as one co-author: family and first initial."""
    return form.form if form.whole else f"{form.family} {form.first[:1]}"


def _archive(category: str) -> str:
    """The archive of a category (``cs.CL`` → ``cs``, ``hep-ph`` stays): people move between
    neighbouring categories far more often than between archives."""
    return category.split(".")[0]


@dataclass
class _Node:
    """A full name form with all its papers, or one paper of an initials-only form (each such
    paper may be by a different person)."""

    form: str
    occurrences: list[_Occurrence]
    coauthors: frozenset[str] = frozenset()
    archives: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.coauthors = frozenset().union(*(o.coauthors for o in self.occurrences))
        self.archives = frozenset(_archive(c) for o in self.occurrences for c in o.categories)


def _evidence(a: _Node, b: _Node) -> int:
    return 2 * len(a.coauthors & b.coauthors) + (1 if a.archives & b.archives else 0)


def _groups(occurrences: list[_Occurrence]) -> int:
    """How many groups a list of papers falls into, linking papers that share a co-author or an
    archive."""
    parent = list(range(len(occurrences)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict[str, int] = {}
    for i, occ in enumerate(occurrences):
        marks = {*(f"a:{c}" for c in occ.coauthors), *(f"c:{_archive(c)}" for c in occ.categories)}
        for mark in sorted(marks):
            if mark in seen:
                parent[find(i)] = find(seen[mark])
            else:
                seen[mark] = i
    return len({find(i) for i in range(len(occurrences))})


def _buckets(parsed: dict[str, NameForm], nodes: dict[str, _Node]) -> list[list[str]]:
    """Groups of nodes outside which no two are compatible: family and first initial, and the two
    orders of a two-word name."""
    buckets: dict[tuple[str, ...], list[str]] = {}
    for key, node in nodes.items():
        form = parsed[node.form]
        if form.whole:
            continue
        buckets.setdefault((form.family, form.first[:1]), []).append(key)
        if len(form.given) == 1 and len(form.first) > 1:
            buckets.setdefault(tuple(sorted((form.first, form.family))), []).append(key)
    return [sorted(b) for b in buckets.values() if len(b) > 1]


class _Block:
    """The forms of the asked families and their papers, clustered into people."""

    def __init__(self, occurrences: dict[str, list[_Occurrence]]) -> None:
        self.parsed = {f: p for f in occurrences if (p := parse_name(f)) is not None}
        self.nodes: dict[str, _Node] = {}
        for form, found in sorted(occurrences.items()):
            if form not in self.parsed:
                continue
            if self.parsed[form].initials_only:
                for occ in found:
                    self.nodes.setdefault(f"{form}\t{occ.paper_id}", _Node(form, [occ]))
            else:
                self.nodes[form] = _Node(form, found)
        self.root = {key: key for key in self.nodes}
        self.members = {key: [key] for key in self.nodes}
        self.conflicts: dict[str, set[str]] = {}
        pairs = set()
        for bucket in _buckets(self.parsed, self.nodes):
            for i, a in enumerate(bucket):
                for b in bucket[i + 1 :]:
                    na, nb = self.nodes[a], self.nodes[b]
                    if compatible(self.parsed[na.form], self.parsed[nb.form]):
                        score = _evidence(na, nb)
                        if score:
                            pairs.add((-score, a, b))
        for _, a, b in sorted(self._unambiguous(pairs)):
            ra, rb = self.root[a], self.root[b]
            if ra == rb:
                continue
            forms_a = {self.nodes[k].form for k in self.members[ra]}
            forms_b = {self.nodes[k].form for k in self.members[rb]}
            fits = all(compatible(self.parsed[x], self.parsed[y]) for x in forms_a for y in forms_b)
            if fits and not (
                self._papers(ra) & self._papers(rb)
            ):  # two names on one paper: two people
                for key in self.members.pop(rb):
                    self.root[key] = ra
                    self.members[ra].append(key)
            else:  # evidence for two people: the name may be either's
                self.conflicts.setdefault(a, set()).add(b)
                self.conflicts.setdefault(b, set()).add(a)

    def _unambiguous(self, pairs: set[tuple[int, str, str]]) -> set[tuple[int, str, str]]:
        """The pairs left once each initials-only paper whose best evidence points equally at
        two different full names (``W. Zhang``: Weinan or Wenjun?) is kept apart from both."""
        partners: dict[str, list[tuple[int, str]]] = {}
        for score, a, b in pairs:
            for one, other in ((a, b), (b, a)):
                if self.parsed[self.nodes[one].form].initials_only and not (
                    self.parsed[self.nodes[other].form].initials_only
                ):
                    partners.setdefault(one, []).append((-score, other))
        dropped = set()
        for node, found in partners.items():
            top = max(score for score, _ in found)
            best = [other for score, other in found if score == top]
            if any(
                not compatible(self.parsed[self.nodes[x].form], self.parsed[self.nodes[y].form])
                for x in best
                for y in best
            ):
                for other in best:
                    self.conflicts.setdefault(node, set()).add(other)
                    self.conflicts.setdefault(other, set()).add(node)
                dropped |= {(node, other) for _, other in found}
        return {p for p in pairs if (p[1], p[2]) not in dropped and (p[2], p[1]) not in dropped}

    def _papers(self, root: str) -> set[str]:
        return {o.paper_id for k in self.members[root] for o in self.nodes[k].occurrences}

    def _best(self, root: str) -> str:
        """The form naming a cluster: the most written full form (an initials-only one when the
        cluster has no other), ties to the longer one."""
        counts = Counter(
            self.nodes[k].form for k in self.members[root] for _ in self.nodes[k].occurrences
        )
        return max(
            counts,
            key=lambda f: (not self.parsed[f].initials_only, counts[f], len(f), f),
        )

    def _display(self, root: str) -> str:
        best = self._best(root)
        spelled = Counter(
            o.name
            for k in self.members[root]
            for o in self.nodes[k].occurrences
            if o and self.nodes[k].form == best
        )
        # ties go to the spelling with accents (more bytes)
        return max(spelled, key=lambda n: (spelled[n], len(n.encode()), n))

    def identity(self, form: str) -> Identity | None:
        """The person an author page of ``form`` shows, or None when the form is unknown."""
        roots = sorted({self.root[k] for k, n in self.nodes.items() if n.form == form})
        if not roots:
            return None
        chosen = [r for r in roots if self._best(r) == form]
        if not chosen:  # every paper of these initials went to a fuller name: the likeliest one
            weight = Counter(self.root[k] for k, n in self.nodes.items() if n.form == form)
            chosen = [max(roots, key=lambda r: (weight[r], r))]
        keys = [k for r in chosen for k in self.members[r]]
        occurrences = [o for k in keys for o in self.nodes[k].occurrences]
        forms = sorted({self.nodes[k].form for k in keys})
        # a form is the identity's own when none of its papers went to someone else
        own = tuple(
            f
            for f in forms
            if all(self.root[k] in chosen for k, n in self.nodes.items() if n.form == f)
        )
        others = {self.root[c] for k in keys for c in self.conflicts.get(k, ())}
        others |= set(roots)
        others -= set(chosen)
        see_also = tuple(
            sorted({(self._display(r), self.parsed[self._best(r)].slug) for r in others})
        )
        return Identity(
            slug=self.parsed[self._best(chosen[0])].slug,
            name=self._display(chosen[0]),
            forms=own,
            names=tuple(sorted({o.name for o in occurrences})),
            paper_ids=tuple(dict.fromkeys(o.paper_id for o in occurrences)),
            several=bool(see_also) or len(chosen) > 1 or _groups(occurrences) > 1,
            see_also=see_also,
        )


def _families(form: NameForm) -> list[str]:
    if form.whole:
        return [form.family]
    # an order variant (zhang wei) has the other word as its family
    return sorted({form.family, *form.given} if len(form.given) == 1 else {form.family})


@dataclass
class _Papers:
    """What the block's papers say besides their author's name."""

    coauthors: dict[str, list[tuple[str, str]]]  # paper id: (form, name) of each author
    categories: dict[str, frozenset[str]]
    published: dict[str, datetime | None]


def _papers(session: Session, paper_ids: list[str]) -> _Papers:
    found = _Papers({}, {}, {})
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        rows = session.execute(
            select(PaperAuthor.paper_id, PaperAuthor.form, PaperAuthor.name).where(
                PaperAuthor.paper_id.in_(chunk), PaperAuthor.form != ""
            )
        )
        for pid, form, name in rows:
            found.coauthors.setdefault(pid, []).append((form, name))
        visible = session.execute(
            select(Paper.id, Paper.categories, Paper.published_at).where(
                Paper.id.in_(chunk), Paper.hidden.is_(False)
            )
        )
        for pid, cats, when in visible:
            found.categories[pid] = frozenset(str(c) for c in cats or [])
            found.published[pid] = when
    return found


def _block(session: Session, form: NameForm) -> tuple[_Block, _Papers]:
    rows = session.execute(
        select(PaperAuthor.paper_id, PaperAuthor.name, PaperAuthor.form).where(
            PaperAuthor.family.in_(_families(form)), PaperAuthor.form != ""
        )
    ).all()
    papers = _papers(session, sorted({r.paper_id for r in rows}))
    occurrences: dict[str, list[_Occurrence]] = {}
    for pid, name, own in rows:
        if pid not in papers.categories:
            continue  # hidden
        listed = papers.coauthors.get(pid, [])
        keys = frozenset(
            _key(parsed)
            for other, _ in (listed if len(listed) <= COAUTHOR_EVIDENCE_MAX else ())
            if other != own and (parsed := parse_name(other)) is not None
        )
        occurrences.setdefault(own, []).append(_Occurrence(pid, name, keys, papers.categories[pid]))
    return _Block(occurrences), papers


def _newest_first(ids: Iterable[str], papers: _Papers) -> tuple[str, ...]:
    oldest = datetime.min
    return tuple(sorted(ids, key=lambda pid: (papers.published[pid] or oldest, pid), reverse=True))


def find_author(session: Session, slug: str) -> Identity | None:
    """The identity an author slug (any of its forms) belongs to, or None when no visible paper
    has an author of that name."""
    form = parse_slug(slug)
    if form is None:
        return None
    block, papers = _block(session, form)
    found = block.identity(form.form)
    if found is None:
        return None
    found.paper_ids = _newest_first(found.paper_ids, papers)
    own = set(found.forms)
    together: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    for pid in found.paper_ids:
        for other, name in dict(papers.coauthors.get(pid, [])).items():
            if other not in own:
                together[other] += 1
                spelled.setdefault(other, Counter())[name] += 1
    found.coauthors = tuple(
        (spelled[f].most_common(1)[0][0], f.replace(" ", "-"), n)
        for f, n in sorted(together.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    )
    cats = Counter(c for pid in found.paper_ids for c in papers.categories[pid])
    found.categories = tuple(sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])
    found.claimed_by = session.scalar(
        select(User.username)
        .join(PaperAuthor, PaperAuthor.claimed_by_id == User.id)
        .where(PaperAuthor.form.in_(found.forms))
        .limit(1)
    )
    return found


def papers_of(session: Session, name: str) -> tuple[str, ...]:
    """The ids of an author's visible papers, newest first: what ``au:`` filters a search by."""
    parsed = parse_name(name)
    found = find_author(session, parsed.slug) if parsed else None
    return found.paper_ids if found else ()
