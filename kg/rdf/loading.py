"""Give every load its provenance: parse its files and describe each in the loads graph.

Triples (no graph) go to the graph the caller names, or else to a new named graph
``<base>graph/load/<uuid>``; each file of a load is described in `LOADS_GRAPH` by its file
name, time, triple count, the SHA-256 of its bytes and the graphs it went to, so every load
keeps its provenance and the same bytes are recognised when they come again
(`kg.update.loads`). Blank nodes become Skolem IRIs (`kg.store.skolem`) before anything is
validated or stored; those of a load start with ``genid/<its uuid>n``, so that the load's
quads can be told apart in a graph it shares with other data.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD

from kg.namespaces import AICAP, LOADS_GRAPH
from kg.rdf.parsing import graph_iri, parse_rdf_file
from kg.store.protocol import Change, Store
from kg.store.skolem import SKOLEM_PATH, skolemize

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
    """One file of a load: where its quads went and the record that describes it.

    Attributes:
        source: where its bytes came from, for messages: the path as given, or the request.
        title: the file's name, or what the request was (dct:title of the record).
        activity: the load's prov:Activity in `LOADS_GRAPH`.
        graphs: the graphs its quads went to.
        quad_count: how many quads it brought.
        sha256: the hex SHA-256 of its bytes (aicap:contentSha256).
    """

    source: str
    title: str
    activity: ox.NamedNode
    graphs: tuple[GraphName, ...]
    quad_count: int
    sha256: str | None = None


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

    def quads_by_file(self) -> list[tuple[FileLoad, list[ox.Quad]]]:
        """Return each file with its own quads (they are stored one file after the other)."""
        pairs, start = [], 0
        for loaded in self.files:
            pairs.append((loaded, self.quads[start : start + loaded.quad_count]))
            start += loaded.quad_count
        return pairs


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
        into = target or minted_load_graph(base_iri, load_id)
        quads = _skolemize_load(parse_rdf_file(path, into, tracker.file(path)), base_iri, load_id)
        activity = ox.NamedNode(f"{base_iri}id/load/{load_id}")
        record = FileLoad(
            str(path), path.name, activity, _graphs_of(quads), len(quads), _sha256(path)
        )
        prepared.quads.extend(quads)
        prepared.records.extend(describe_load(record, now))
        prepared.files.append(record)
    return prepared


def prepare_body_load(
    quads: list[ox.Quad], data: bytes, title: str, load_id: uuid.UUID, base_iri: str
) -> PreparedLoad:
    """Describe a request body as a load of one file: its digest, graphs and quad count.

    A graph-store write adds a body's content as `aicap load` adds a file's, so it is
    recorded the same way, and the same bytes are recognised when they come again.

    Args:
        quads: the body's quads, parsed into the graphs they go to.
        data: the body's bytes (their SHA-256 is recorded).
        title: what the request was, such as ``graph-store POST``.
        load_id: the load's id (`body_load_id`; a minted graph is named after it).
        base_iri: the base of the project's IRIs (`Settings.base_iri`).
    """
    quads = _skolemize_load(quads, base_iri, load_id)
    activity = ox.NamedNode(f"{base_iri}id/load/{load_id}")
    digest = hashlib.sha256(data).hexdigest()
    record = FileLoad(
        f"the body of the {title}", title, activity, _graphs_of(quads), len(quads), digest
    )
    return PreparedLoad(quads, describe_load(record, datetime.now(UTC)), [record])


def minted_load_graph(base_iri: str, load_id: uuid.UUID) -> ox.NamedNode:
    """Return the graph minted for a load that names none: ``<base>graph/load/<uuid>``."""
    return ox.NamedNode(f"{base_iri}graph/load/{load_id}")


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


def _sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes (read again: the parser has just read them)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _skolemize_load(quads: list[ox.Quad], base_iri: str, load_id: uuid.UUID) -> list[ox.Quad]:
    """Replace blank nodes by Skolem IRIs that start with the load's own prefix.

    ``<base>.well-known/genid/<uuid hex>n<i>``: still unique and alphanumeric (as
    `kg.store.skolem.deskolemize` needs), and `load_skolem_prefix` finds them again when
    the load is replaced.
    """
    prefix = f"{base_iri}{SKOLEM_PATH}{load_id.hex}n"
    mapping = {node: ox.NamedNode(f"{prefix}{i}") for i, node in enumerate(_blank_nodes(quads))}
    return skolemize(quads, base_iri, mapping)


def _blank_nodes(quads: list[ox.Quad]) -> dict[ox.BlankNode, None]:
    """Return the blank nodes of some quads, quoted triples included, in order of appearance."""
    found: dict[ox.BlankNode, None] = {}

    def visit(term: object) -> None:
        if isinstance(term, ox.BlankNode):
            found.setdefault(term)
        elif isinstance(term, ox.Triple):
            visit(term.subject)
            visit(term.object)

    for q in quads:
        visit(q.subject)
        visit(q.object)
        visit(q.graph_name)
    return found


def minted_graph(activity: ox.NamedNode) -> ox.NamedNode | None:
    """Return the graph ``<base>graph/load/<uuid>`` minted for a load, from its activity IRI."""
    head, sep, tail = activity.value.rpartition("id/load/")
    return ox.NamedNode(f"{head}graph/load/{tail}") if sep and _uuid(tail) else None


def load_skolem_prefix(activity: ox.NamedNode) -> str | None:
    """Return the start of the Skolem IRIs of a load's blank nodes, from its activity IRI."""
    head, sep, tail = activity.value.rpartition("id/load/")
    load_id = _uuid(tail) if sep else None
    return None if load_id is None else f"{head}{SKOLEM_PATH}{load_id.hex}n"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


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
    (prov:startedAtTime, xsd:dateTime), how many quads it brought (void:triples), the
    SHA-256 of the file's bytes (aicap:contentSha256) and the graphs it wrote
    (prov:generated, and prov:wasGeneratedBy back from each graph).
    """
    a = load.activity
    quads = [
        _record(a, RDF.type, ox.NamedNode(str(PROV.Activity))),
        _record(a, DCTERMS.title, ox.Literal(load.title)),
        _record(a, PROV.startedAtTime, _datetime(when)),
        _record(a, VOID.triples, ox.Literal(str(load.quad_count), datatype=_xsd("integer"))),
    ]
    if load.sha256 is not None:
        quads.append(_record(a, AICAP.contentSha256, ox.Literal(load.sha256)))
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


@dataclass(frozen=True)
class EarlierLoad:
    """A load recorded in `LOADS_GRAPH`, read back (`earlier_loads`).

    Attributes:
        activity: its prov:Activity.
        title: the file's name (dct:title).
        started: when it ran (prov:startedAtTime, as written).
        graphs: the graphs it wrote (prov:generated).
    """

    activity: ox.NamedNode
    title: str
    started: str
    graphs: tuple[ox.NamedNode, ...]


def earlier_loads(store: Store, sha256: str) -> list[EarlierLoad]:
    """Return the loads recorded with this SHA-256 of a file's bytes, oldest first."""
    found = []
    digest = ox.NamedNode(str(AICAP.contentSha256))
    for quad in store.quads(None, digest, ox.Literal(sha256), _LOADS):
        if isinstance(quad.subject, ox.NamedNode):
            found.append(_earlier_load(store, quad.subject))
    return sorted(found, key=lambda load: load.started)


def _earlier_load(store: Store, activity: ox.NamedNode) -> EarlierLoad:
    def values(predicate: object) -> list[ox.NamedNode | ox.Literal]:
        node = ox.NamedNode(str(predicate))
        objects = (q.object for q in store.quads(activity, node, None, _LOADS))
        return [o for o in objects if isinstance(o, ox.NamedNode | ox.Literal)]

    title = next((o.value for o in values(DCTERMS.title)), "(no file name)")
    started = next((o.value for o in values(PROV.startedAtTime)), "(no time)")
    graphs = tuple(o for o in values(PROV.generated) if isinstance(o, ox.NamedNode))
    return EarlierLoad(activity, title, started, graphs)
