"""SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/).

What `GET /sparql` without a query returns: the endpoint, the languages and result formats
it supports, whether the default graph is the union of the named graphs, and the dataset's
named graphs. Built from the same format tables that content negotiation uses, so the
description cannot drift from what the endpoint really produces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from kg.rdf.formats import RdfSyntax, ResultsFormat

SD = "http://www.w3.org/ns/sparql-service-description#"
W3C_FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
PREFIXES = {"sd": SD, "formats": W3C_FORMATS}

_REGISTRY_IRIS: dict[ox.QueryResultsFormat | ox.RdfFormat, str] = {
    ox.RdfFormat.JSON_LD: W3C_FORMATS + "JSON-LD"
}
"""pyoxigraph 0.5 names JSON-LD ``https://www.w3.org/ns/formats/data/JSON-LD``; the W3C
format registry (https://www.w3.org/ns/formats/) has ``http://www.w3.org/ns/formats/JSON-LD``."""


def format_iri(fmt: ResultsFormat | RdfSyntax) -> str:
    """Return the IRI of a format in the W3C format registry, as `sd:resultFormat` takes."""
    return _REGISTRY_IRIS.get(fmt.ox_format, fmt.ox_format.iri)


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def describe_service(
    endpoint: str,
    formats: Iterable[ResultsFormat | RdfSyntax],
    *,
    union_default_graph: bool,
    named_graphs: Sequence[ox.NamedNode | ox.BlankNode] = (),
) -> list[ox.Triple]:
    """Return the triples of the service description.

    Args:
        endpoint: the absolute URL of the SPARQL endpoint, as the client reached it.
        formats: every format the endpoint produces, results and graphs.
        union_default_graph: the default graph is the union of all graphs
            (`sd:UnionDefaultGraph`, AICAP_UNION_DEFAULT_GRAPH).
        named_graphs: the names of the dataset's named graphs; blank-node names are left
            out, since `sd:name` takes an IRI.
    """
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
    ]
    triples += [
        ox.Triple(service, _sd("resultFormat"), ox.NamedNode(format_iri(f))) for f in formats
    ]
    if union_default_graph:
        triples.append(ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")))
    iris = [name for name in named_graphs if isinstance(name, ox.NamedNode)]
    for index, name in enumerate(iris):
        described = ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(dataset, _sd("namedGraph"), described),
            ox.Triple(described, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(described, _sd("name"), name),
        ]
    return triples


def serialize_description(triples: list[ox.Triple], syntax: RdfSyntax) -> bytes:
    """Write the description in an RDF syntax, with the `sd:` prefix where it has one."""
    body = ox.serialize(triples, format=syntax.ox_format, prefixes=PREFIXES)
    assert body is not None  # no output stream given: the bytes are returned
    return body
