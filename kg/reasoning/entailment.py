"""Entailment over plain triples: completing a reasoner's results, finding disjointness clashes.

`kg.reasoning.reasoner` runs the OWL reasoner; this module holds the pure functions around it, over
pyoxigraph triples and nothing else. Every rule here is sound for OWL 2 (they are rules of
the OWL 2 RL profile), so what it adds is entailed, and what it reports as a clash is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS

from kg.namespaces import PREFIXES


def _iri(term: str) -> ox.NamedNode:
    return ox.NamedNode(str(term))


TYPE, SUBCLASS, SUBPROPERTY = _iri(RDF.type), _iri(RDFS.subClassOf), _iri(RDFS.subPropertyOf)
EQUIVALENT_CLASS, EQUIVALENT_PROPERTY = _iri(OWL.equivalentClass), _iri(OWL.equivalentProperty)
NOTHING = _iri(OWL.Nothing)
SCHEMA_NAMESPACES = (str(RDF), str(RDFS), str(OWL), "http://www.w3.org/2001/XMLSchema#")
_EQUIVALENCES = {EQUIVALENT_CLASS, EQUIVALENT_PROPERTY}

Named = tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode]


class Hierarchy:
    """A transitive `sub ⊑ super` relation over IRIs; an equivalence is two edges."""

    def __init__(self) -> None:
        self._parents: dict[ox.NamedNode, set[ox.NamedNode]] = {}
        self._supers: dict[ox.NamedNode, set[ox.NamedNode]] = {}

    def add(self, sub: ox.NamedNode, sup: ox.NamedNode) -> None:
        """Add the edge `sub ⊑ sup`."""
        self._parents.setdefault(sub, set()).add(sup)
        self._supers.clear()

    def parents(self, node: ox.NamedNode) -> set[ox.NamedNode]:
        """Return the direct supers of `node`."""
        return set(self._parents.get(node, ()))

    def supers(self, node: ox.NamedNode) -> set[ox.NamedNode]:
        """Return every strict or equivalent super of `node` (`node` itself excluded)."""
        if node not in self._supers:
            seen: set[ox.NamedNode] = set()
            stack = list(self._parents.get(node, ()))
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(self._parents.get(current, ()))
            seen.discard(node)
            self._supers[node] = seen
        return self._supers[node]

    def pairs(self, predicate: ox.NamedNode) -> Iterator[ox.Triple]:
        """Yield `sub predicate super` for every strict (non-equivalent) pair."""
        for node in list(self._parents):
            for sup in self.supers(node):
                if node not in self.supers(sup):
                    yield ox.Triple(node, predicate, sup)


@dataclass
class Schema:
    """The class and property axioms that the rules below read."""

    classes: Hierarchy = field(default_factory=Hierarchy)
    properties: Hierarchy = field(default_factory=Hierarchy)
    inverses: dict[ox.NamedNode, set[ox.NamedNode]] = field(default_factory=dict)
    symmetric: set[ox.NamedNode] = field(default_factory=set)
    transitive: set[ox.NamedNode] = field(default_factory=set)

    @classmethod
    def of(cls, triples: Iterable[ox.Triple]) -> Schema:
        """Read the axioms between named resources out of `triples`."""
        schema = cls()
        for s, p, o in named(triples):
            if p in (SUBCLASS, EQUIVALENT_CLASS):
                schema.classes.add(s, o)
                if p == EQUIVALENT_CLASS:
                    schema.classes.add(o, s)
            elif p in (SUBPROPERTY, EQUIVALENT_PROPERTY):
                schema.properties.add(s, o)
                if p == EQUIVALENT_PROPERTY:
                    schema.properties.add(o, s)
            elif p == _iri(OWL.inverseOf):
                schema.inverses.setdefault(s, set()).add(o)
                schema.inverses.setdefault(o, set()).add(s)
            elif p == TYPE and o == _iri(OWL.SymmetricProperty):
                schema.symmetric.add(s)
            elif p == TYPE and o == _iri(OWL.TransitiveProperty):
                schema.transitive.add(s)
        return schema

    def has_rules(self, p: ox.NamedNode) -> bool:
        """Tell whether values of `p` entail other property values."""
        return bool(
            self.properties.supers(p)
            or p in self.inverses
            or p in self.symmetric
            or p in self.transitive
        )


def named(triples: Iterable[ox.Triple]) -> Iterator[Named]:
    """Yield the triples whose subject and object are both IRIs, as plain tuples."""
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            yield t.subject, t.predicate, t.object


def is_schema(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> bool:
    """Tell whether a term is an RDF, RDFS, OWL or XSD IRI."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(SCHEMA_NAMESPACES)


def entailed(
    asserted: set[ox.Triple], found: set[ox.Triple], *, internal: tuple[str, ...] = ()
) -> set[ox.Triple]:
    """Complete a reasoner's results into every triple entailed but not asserted.

    HermiT reports direct types, the direct hierarchy, and property values minus those of
    sub-properties; owlready2 drops values whose inverse is asserted. The closure restores
    them with the OWL 2 RL rules cax-sco, scm-sco, scm-spo, prp-spo1, prp-inv, prp-symp and
    prp-trp, over named resources only.

    Args:
        asserted: the input triples.
        found: what the reasoner added.
        internal: IRI prefixes of the reasoner's own resources, left out.

    Returns:
        The inferred triples, without owl:Thing or owl:NamedIndividual types, reflexive or
        merely reversed axioms, blank nodes, or anything under `internal`.
    """
    facts = asserted | found
    schema = Schema.of(facts)
    derived = set(schema.classes.pairs(SUBCLASS)) | set(schema.properties.pairs(SUBPROPERTY))
    for s, p, o in named(facts):
        if p == TYPE:
            derived.add(ox.Triple(s, p, o))
            derived.update(ox.Triple(s, TYPE, c) for c in schema.classes.supers(o))
        elif p in _EQUIVALENCES:
            derived.add(ox.Triple(s, p, o))
    derived |= _property_values(facts, schema)
    ignored = (*internal, str(OWL))
    return {t for t in derived if t not in asserted and not _is_noise(t, asserted, ignored)}


def _property_values(facts: set[ox.Triple], schema: Schema) -> set[ox.Triple]:
    """Apply the sub-property, inverse, symmetric and transitive rules to a fixpoint."""
    known: set[ox.Triple] = set()
    pending = [(s, p, o) for s, p, o in named(facts) if not is_schema(p) and schema.has_rules(p)]
    successors: dict[tuple[ox.NamedNode, ox.NamedNode], set[ox.NamedNode]] = {}
    predecessors: dict[tuple[ox.NamedNode, ox.NamedNode], set[ox.NamedNode]] = {}
    while pending:
        s, p, o = pending.pop()
        if ox.Triple(s, p, o) in known:
            continue
        known.add(ox.Triple(s, p, o))
        pending += [(s, q, o) for q in schema.properties.supers(p)]
        pending += [(o, q, s) for q in schema.inverses.get(p, ())]
        if p in schema.symmetric:
            pending.append((o, p, s))
        if p in schema.transitive:
            pending += [(x, p, o) for x in predecessors.get((p, s), ())]
            pending += [(s, p, y) for y in successors.get((p, o), ())]
            successors.setdefault((p, s), set()).add(o)
            predecessors.setdefault((p, o), set()).add(s)
    return known


def _is_noise(t: ox.Triple, asserted: set[ox.Triple], ignored: tuple[str, ...]) -> bool:
    s, o = t.subject, t.object
    if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)) or s == o:
        return True
    if t.predicate in _EQUIVALENCES and ox.Triple(o, t.predicate, s) in asserted:
        return True
    return s.value.startswith(ignored) or o.value.startswith(ignored)


@dataclass(frozen=True)
class Clash:
    """A resource whose classes meet two disjoint classes: who is involved, and why."""

    culprits: tuple[str, ...]
    message: str


def disjointness_clashes(triples: set[ox.Triple]) -> list[Clash]:
    """Find individuals whose types fall under two disjoint classes, or under owl:Nothing.

    An individual's types are its asserted ones and those that the domains and ranges of the
    properties it uses give it, closed under the asserted class and property hierarchies.
    """
    return _clashes(triples, _type_origins(triples, Schema.of(triples)), "is a")


def unsatisfiable_reasons(triples: set[ox.Triple], classes: Iterable[str]) -> list[str]:
    """Say, for the classes whose superclasses meet two disjoint classes, which ones."""
    schema = Schema.of(triples)
    parents = {ox.NamedNode(iri): schema.classes.parents(ox.NamedNode(iri)) for iri in classes}
    return [clash.message for clash in _clashes(triples, parents, "is a subclass of")]


def _clashes(
    triples: set[ox.Triple], origins: dict[ox.NamedNode, set[ox.NamedNode]], verb: str
) -> list[Clash]:
    schema = Schema.of(triples)
    disjoint = sorted(_disjoint_pairs(triples) | {(NOTHING, NOTHING)}, key=str)
    clashes = []
    for node, bases in sorted(origins.items(), key=lambda item: item[0].value):
        closed = {c: base for base in bases for c in {base} | schema.classes.supers(base)}
        for a, b in disjoint:  # (Nothing, Nothing) catches a type that is owl:Nothing
            if a in closed and b in closed:
                why = f"{short_name(node.value)} {verb} {_because(a, closed[a])}"
                why += f" and {_because(b, closed[b])}, which are disjoint"
                names = (node.value, closed[a].value, closed[b].value, a.value, b.value)
                clashes.append(Clash(names, why))
    return clashes


def _because(cls: ox.NamedNode, base: ox.NamedNode) -> str:
    if cls == base:
        return short_name(cls.value)
    return f"{short_name(base.value)} (so {short_name(cls.value)})"


def _type_origins(triples: set[ox.Triple], schema: Schema) -> dict[ox.NamedNode, set[ox.NamedNode]]:
    """Map each named resource to its asserted types and its property domains and ranges."""
    domains: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    ranges: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for s, p, o in named(triples):
        if p == _iri(RDFS.domain):
            domains.setdefault(s, set()).add(o)
        elif p == _iri(RDFS.range):
            ranges.setdefault(s, set()).add(o)
    origins: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for t in triples:
        subject, obj = t.subject, t.object
        if not isinstance(subject, ox.NamedNode):
            continue
        if t.predicate == TYPE:
            if isinstance(obj, ox.NamedNode):
                origins.setdefault(subject, set()).add(obj)
            continue
        for q in {t.predicate} | schema.properties.supers(t.predicate):
            origins.setdefault(subject, set()).update(domains.get(q, ()))
            if isinstance(obj, ox.NamedNode):
                origins.setdefault(obj, set()).update(ranges.get(q, ()))
    return origins


def _disjoint_pairs(triples: set[ox.Triple]) -> set[tuple[ox.NamedNode, ox.NamedNode]]:
    """Read owl:disjointWith, owl:AllDisjointClasses and owl:disjointUnionOf axioms."""
    pairs = {(s, o) for s, p, o in named(triples) if p == _iri(OWL.disjointWith)}
    index: dict[tuple[object, ox.NamedNode], object] = {
        (t.subject, t.predicate): t.object for t in triples
    }
    heads: list[object] = [t.object for t in triples if t.predicate == _iri(OWL.disjointUnionOf)]
    heads += [
        index.get((t.subject, _iri(OWL.members)))
        for t in triples
        if t.predicate == TYPE and t.object == _iri(OWL.AllDisjointClasses)
    ]
    for head in heads:
        members = [m for m in _rdf_list(index, head) if isinstance(m, ox.NamedNode)]
        pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    return pairs


def _rdf_list(index: dict[tuple[object, ox.NamedNode], object], head: object) -> list[object]:
    items: list[object] = []
    seen: set[object] = set()
    while head is not None and head != _iri(RDF.nil) and head not in seen:
        seen.add(head)
        items.append(index.get((head, _iri(RDF.first))))
        head = index.get((head, _iri(RDF.rest)))
    return items


def local_names(triples: Iterable[ox.Triple]) -> dict[str, set[str]]:
    """Map each local name (after the last '#' or '/') to the non-schema IRIs that end in it."""
    by_name: dict[str, set[str]] = {}
    for t in triples:
        for term in (t.subject, t.object):
            if isinstance(term, ox.NamedNode) and not is_schema(term):
                by_name.setdefault(re.split(r"[#/]", term.value)[-1], set()).add(term.value)
    return by_name


def short_name(iri: str) -> str:
    """Return `prefix:local` for IRIs under a project prefix, else `<iri>`."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"
