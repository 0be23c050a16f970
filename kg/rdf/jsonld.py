"""JSON-LD with a context: triples written as node objects under compact IRIs.

pyoxigraph writes JSON-LD in expanded form only (full IRIs, no ``@context``). A resource
description is meant to be read, so this writer groups triples by subject and writes every
IRI that falls under one of the given prefixes as ``prefix:local``, with the prefixes as the
document's ``@context`` (JSON-LD 1.1, 4.1.5 "Compact IRIs"). The document expands to
exactly the triples written; literals keep their lexical form and datatype.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

JsonObject = dict[str, Any]


def triples_to_jsonld(triples: Iterable[ox.Triple], prefixes: Mapping[str, str]) -> bytes:
    """Serialize triples as a JSON-LD document whose ``@context`` holds `prefixes`.

    Args:
        triples: the triples, in the order their subjects should appear.
        prefixes: prefix name to namespace IRI; each namespace ends in ``/`` or ``#`` so
            JSON-LD 1.1 processors use the term as a prefix.

    Returns:
        ``{"@context": {...}, "@graph": [node, ...]}`` as UTF-8 (non-ASCII kept as is).
    """
    compactor = Compactor(prefixes)
    nodes: dict[str, JsonObject] = {}
    for triple in triples:
        key = compactor.node_id(triple.subject)
        node = nodes.setdefault(key, {"@id": key})
        predicate = triple.predicate.value
        if predicate == RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            node.setdefault("@type", []).append(compactor.iri(triple.object.value))
        else:
            values = node.setdefault(compactor.iri(predicate), [])
            values.append(compactor.value(triple.object))
    document = {"@context": dict(prefixes), "@graph": list(nodes.values())}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


class Compactor:
    """Write IRIs as compact IRIs under the longest matching prefix."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        # Longest namespace first, so ``id:`` wins over a shorter prefix of it.
        self._prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def iri(self, iri: str) -> str:
        """Return ``prefix:local`` for an IRI under a prefix, else the IRI itself.

        A local part that starts with ``//`` would read as an absolute IRI (JSON-LD 1.1,
        4.1.5), so such IRIs stay whole.
        """
        for name, namespace in self._prefixes:
            local = iri.removeprefix(namespace)
            if local != iri and local and not local.startswith("//"):
                return f"{name}:{local}"
        return iri

    def node_id(self, term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
        """Return the ``@id`` of a subject or object node."""
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        raise TypeError(f"RDF-star triples are not supported here: {term}")

    def value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Any:
        """Return the JSON-LD value object of an object term."""
        if not isinstance(term, ox.Literal):
            return {"@id": self.node_id(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": self.iri(term.datatype.value)}
