"""The audit trail: each accepted write described in `AUDIT_GRAPH`: who, when and how.

A write is an ``aicap:Write`` (a prov:Activity, ``ontology/audit.ttl``) with the token
holder (prov:wasAssociatedWith an agent labelled with `Settings.write_token_name`), the
time it was committed (prov:endedAtTime), how it came (aicap:writeOperation), how many
quads it added and removed, the graphs it changed, a SHA-256 of the request text and, for a
load that replaced an earlier load of the same file, that load (dct:replaces). The
record is written in the same transaction as the change (`KnowledgeGraph.commit`) and is
not validated against the domain shapes: it describes the data, it is not part of it.

`AUDIT_GRAPH` is a system graph (`kg.query.dataset.SYSTEM_GRAPHS`): with the strict SPARQL dataset
(AICAP_UNION_DEFAULT_GRAPH=false) a query that names no dataset does not see it through
``GRAPH ?g``; in union mode it is part of the union of all graphs (`kg.store.datasets` says why).
Analysts query it by naming it: ``SELECT * FROM NAMED <…/graph/audit> { GRAPH ?g { ?s ?p ?o } }``
(or ``FROM <…/graph/audit>``, or ``named-graph-uri`` / ``default-graph-uri`` on /sparql).
Exports and /healthz's count include it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from kg.namespaces import AICAP, AUDIT_GRAPH
from kg.store.protocol import Change

_AUDIT = ox.NamedNode(str(AUDIT_GRAPH))


@dataclass(frozen=True)
class Write:
    """Who writes, how, and what else goes into the transaction unvalidated.

    Attributes:
        actor: the name of the token holder (or of the command-line user).
        operation: ``update``, ``graph-store PUT``, ``load``, ``replacing load`` ...
            (aicap:writeOperation).
        request_text: the update or body the write came from; only its hash is kept.
        records: extra quads written with the change but not validated (load records).
        removed_records: quads removed with the change but not validated (the records of
            a load that this one replaces).
        replaces: the loads (their activities) that this write replaces (dct:replaces).
    """

    actor: str
    operation: str
    request_text: bytes | str | None = None
    records: tuple[ox.Quad, ...] = field(default_factory=tuple)
    removed_records: tuple[ox.Quad, ...] = field(default_factory=tuple)
    replaces: tuple[ox.NamedNode, ...] = field(default_factory=tuple)

    @property
    def request_sha256(self) -> str | None:
        """The hex SHA-256 of the request text (UTF-8), if there is one."""
        if self.request_text is None:
            return None
        text = self.request_text
        data = text.encode("utf-8") if isinstance(text, str) else text
        return hashlib.sha256(data).hexdigest()


def audit_record(
    write: Write, change: Change, base_iri: str, when: datetime | None = None
) -> list[ox.Quad]:
    """Return the quads that describe one committed write in `AUDIT_GRAPH`.

    Args:
        write: who wrote and how.
        change: what the write changed (before the records and this description).
        base_iri: the base of the project's IRIs; the write is ``<base>id/write/<uuid>``.
        when: the commit time; None is now (UTC).
    """
    when = when or datetime.now(UTC)
    activity = ox.NamedNode(f"{base_iri}id/write/{uuid.uuid4()}")
    agent = ox.NamedNode(f"{base_iri}id/agent/{_slug(write.actor)}")
    stamp = when.isoformat(timespec="milliseconds")
    facts: list[tuple[ox.NamedNode, object, ox.NamedNode | ox.Literal]] = [
        (activity, RDF.type, _iri(AICAP.Write)),
        (activity, RDF.type, _iri(PROV.Activity)),
        (activity, RDFS.label, ox.Literal(f"{write.operation} by {write.actor} at {stamp}")),
        (activity, AICAP.writeOperation, ox.Literal(write.operation)),
        (activity, PROV.wasAssociatedWith, agent),
        (activity, PROV.endedAtTime, ox.Literal(stamp, datatype=_iri(XSD.dateTime))),
        (activity, AICAP.quadsAdded, _integer(len(change.added))),
        (activity, AICAP.quadsRemoved, _integer(len(change.removed))),
        (agent, RDF.type, _iri(PROV.Agent)),
        (agent, RDFS.label, ox.Literal(write.actor)),
    ]
    graphs, default = changed_graphs(change)
    facts.extend((activity, AICAP.changedGraph, graph) for graph in graphs)
    if default:
        facts.append((activity, AICAP.changedDefaultGraph, ox.Literal(True)))
    if write.request_sha256 is not None:
        facts.append((activity, AICAP.requestSha256, ox.Literal(write.request_sha256)))
    facts.extend((activity, DCTERMS.replaces, earlier) for earlier in write.replaces)
    return [ox.Quad(s, _iri(p), o, _AUDIT) for s, p, o in facts]


def changed_graphs(change: Change) -> tuple[list[ox.NamedNode], bool]:
    """Return the named graphs a change touches, in order, and whether it touches the default."""
    graphs: dict[ox.NamedNode, None] = {}
    default = False
    for quad in (*change.removed, *change.added):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs.setdefault(quad.graph_name)
        elif isinstance(quad.graph_name, ox.DefaultGraph):
            default = True
    for graph in (*change.dropped_graphs, *change.created_graphs):
        graphs.setdefault(graph)
    return list(graphs), default


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._~-]+", "-", name).strip("-")
    return slug or "anonymous"


def _iri(term: object) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_iri(XSD.integer))
