"""Every namespace the project uses, in one place."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, XSD

BASE_IRI = "https://w3id.org/aicap/"
"""The default base of resource IRIs; resources are ``<base>id/<rest>``."""

AICAP = Namespace(BASE_IRI + "ontology#")
ID = Namespace(BASE_IRI + "id/")
GRAPH = Namespace(BASE_IRI + "graph/")
OA = Namespace("http://www.w3.org/ns/oa#")
FIBO_FND_AGR_CTR = Namespace("https://spec.edmcouncil.org/fibo/ontology/FND/Agreements/Contracts/")
SCHEMA = Namespace("https://schema.org/")

ONTOLOGY_GRAPH = GRAPH["ontology"]
SOURCES_GRAPH = GRAPH["sources"]
ARTICLE_GRAPH = GRAPH["article"]
ANNOUNCEMENTS_GRAPH = GRAPH["announcements"]
INFERRED_GRAPH = GRAPH["inferred"]
LOADS_GRAPH = GRAPH["loads"]
"""Records of each `aicap load`: file, time, triple count, target graph."""
AUDIT_GRAPH = GRAPH["audit"]
"""Records of each accepted write: who, when, what changed (`kg.update.audit`)."""

PREFIXES: dict[str, str] = {
    "aicap": str(AICAP),
    "id": str(ID),
    "graph": str(GRAPH),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "sh": str(SH),
    "prov": str(PROV),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "oa": str(OA),
    "schema": str(SCHEMA),
}
