"""Give every load its provenance: parse its files and describe each in the loads graph.

Triples (no graph) go to the graph the caller names, or else to a new named graph
``<base>graph/load/<uuid>``; each file of a load is described in `LOADS_GRAPH` by its file
name, time, triple count and the graphs it went to, so every load keeps its provenance.
Blank nodes become Skolem IRIs (`kg.store.skolem`) before anything is validated or stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD

from kg.namespaces import LOADS_GRAPH
from kg.rdf.parsing import graph_iri, parse_rdf_file
from kg.store.protocol import Change
from kg.store.skolem import skolemize

GraphName = ox.NamedNode | ox.BlankNode

_LOADS = ox.NamedNode(str(LOADS_GRAPH))


@dataclass(frozen=True)
class LoadProgress:
    """How far the parsing of a load has got, reported to a `ProgressCallback`.

    Attributes:
        path: the file being parsed.
        bytes_read: bytes parsed so far, over all the files of the load.
        total_bytes: the size of all the files of the load.
        quads: quads parsed so far, over all the files.
    """

    path: Path
    bytes_read: int
    total_bytes: int
    quads: int

    @property
    def parsed(self) -> bool:
        """Whether every file has been parsed (validation and the commit come next)."""
        return self.bytes_read >= self.total_bytes


ProgressCallback = Callable[[LoadProgress], None]


@dataclass(frozen=True)
class FileLoad:
    """One file of a load: where its quads went and the record that describes it."""

    path: Path
    activity: ox.NamedNode
    graphs: tuple[GraphName, ...]
    quad_count: int


@dataclass
class PreparedLoad:
    """Parsed files, ready to validate and commit: their quads and their provenance records."""

    quads: list[ox.Quad] = field(default_factory=list)
    records: list[ox.Quad] = field(default_factory=list)
    files: list[FileLoad] = field(default_factory=list)

    def data_change(self) -> Change:
        """Return the change of the files' own quads (what the shapes check)."""
        return Change(added=list(self.quads))

    def change(self) -> Change:
        """Return the whole change: the files' quads and the records in `LOADS_GRAPH`."""
        return Change(added=self.quads + self.records)


def prepare_load(
    paths: Sequence[Path],
    graph: str | None,
    base_iri: str,
    *,
    graph_for: ox.NamedNode | None = None,
    progress: ProgressCallback | None = None,
) -> PreparedLoad:
    """Parse files for one load and describe each in `LOADS_GRAPH`.

    Args:
        paths: the files, their syntax given by the suffix.
        graph: the graph IRI for triples outside any named graph; None gives each file a
            new graph ``<base>graph/load/<uuid>``.
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
        graph_for: overrides `graph` with a named node (bootstrap uses the ontology graph).
        progress: told how far parsing has got, over all the files (`LoadProgress`).

    Raises:
        BadParameter: `graph` is not an absolute IRI.
        UnsupportedFormat: a file with an unknown suffix.
        RdfSyntaxError: a file does not parse.
    """
    target = graph_for if graph_for is not None else None if graph is None else graph_iri(graph)
    prepared = PreparedLoad()
    now = datetime.now(UTC)
    tracker = _ProgressTracker(paths, progress)
    for path in paths:
        load_id = uuid.uuid4()
        into = target or ox.NamedNode(f"{base_iri}graph/load/{load_id}")
        quads = skolemize(parse_rdf_file(path, into, tracker.file(path)), base_iri)
        activity = ox.NamedNode(f"{base_iri}id/load/{load_id}")
        record = FileLoad(path, activity, _graphs_of(quads), len(quads))
        prepared.quads.extend(quads)
        prepared.records.extend(describe_load(record, now))
        prepared.files.append(record)
    return prepared


class _ProgressTracker:
    """Turns one file's (bytes, quads) into `LoadProgress` over all the files of a load."""

    def __init__(self, paths: Sequence[Path], callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.total_bytes = sum(_size(p) for p in paths)
        self.bytes_before = self.quads_before = 0

    def file(self, path: Path) -> Callable[[int, int], None] | None:
        """The callback for one file, or None when nobody listens."""
        if self.callback is None:
            return None
        callback, bytes_before, quads_before = self.callback, self.bytes_before, self.quads_before
        self.bytes_before += _size(path)

        def tell(bytes_read: int, quads: int) -> None:
            self.quads_before = quads_before + quads
            done = bytes_before + bytes_read
            callback(LoadProgress(path, done, self.total_bytes, self.quads_before))

        return tell


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # parse_rdf_file reports the file that cannot be read
        return 0


def _graphs_of(quads: list[ox.Quad]) -> tuple[GraphName, ...]:
    """Return the named graphs of some quads, in order of first appearance."""
    found: dict[GraphName, None] = {}
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode | ox.BlankNode):
            found.setdefault(q.graph_name)
    return tuple(found)


def describe_load(load: FileLoad, when: datetime) -> list[ox.Quad]:
    """Return the quads that record one file's load in `LOADS_GRAPH` (PROV-O, DCTerms, VoID).

    The load is a prov:Activity with the file's name (dct:title), its time
    (prov:startedAtTime, xsd:dateTime), how many quads it brought (void:triples) and the
    graphs it wrote (prov:generated, and prov:wasGeneratedBy back from each graph).
    """
    a = load.activity
    quads = [
        _record(a, RDF.type, ox.NamedNode(str(PROV.Activity))),
        _record(a, DCTERMS.title, ox.Literal(load.path.name)),
        _record(a, PROV.startedAtTime, _datetime(when)),
        _record(a, VOID.triples, ox.Literal(str(load.quad_count), datatype=_xsd("integer"))),
    ]
    for graph in load.graphs:
        quads.append(_record(a, PROV.generated, graph))
        quads.append(_record(graph, PROV.wasGeneratedBy, a))
    return quads


def _record(
    s: ox.NamedNode | ox.BlankNode, p: object, o: ox.NamedNode | ox.BlankNode | ox.Literal
) -> ox.Quad:
    return ox.Quad(s, ox.NamedNode(str(p)), o, _LOADS)


def _datetime(when: datetime) -> ox.Literal:
    return ox.Literal(when.isoformat(timespec="seconds"), datatype=_xsd("dateTime"))


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(XSD) + name)
