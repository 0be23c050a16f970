"""Committing a load, and the same file loaded twice: refused, or the earlier load replaced.

Each load records the SHA-256 of each file's bytes (aicap:contentSha256 in `LOADS_GRAPH`,
`kg.rdf.loading`). A file whose digest an earlier load recorded would add every figure a
second time, in a graph of its own, so `plan_load` refuses it (`AlreadyLoaded`) unless
the load replaces the earlier one. Replacing removes, in the same validated, audited
transaction as the new content is added:

- a graph minted for the earlier load (``<base>graph/load/<uuid>``, where a load puts
  its triples unless told otherwise): dropped whole, with whatever later writes put in
  it, since the load created it and it belongs to that load;
- from any other graph the earlier load wrote (an explicit ``--graph``, or a graph named
  in an N-Quads or TriG file), which other data may share: the file's triples (the same
  bytes, parsed again), and every quad with a blank node of the earlier load (stored as
  a Skolem IRI that starts with its id, `kg.rdf.loading.load_skolem_prefix`). Which of
  those triples were in the graph before the earlier load, or were added again by
  another write since, is not recorded, so they go too; the new load adds them back when
  it writes to the same graph, which is the usual case;
- the earlier load's records in `LOADS_GRAPH` (unvalidated, like the records added).

The audit record of such a write says ``replacing load`` and names the loads it replaced
(dct:replaces); the new load's record names them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib.namespace import DCTERMS

from kg.errors import AlreadyLoaded, KgError
from kg.namespaces import LOADS_GRAPH
from kg.rdf.loading import (
    EarlierLoad,
    FileLoad,
    PreparedLoad,
    earlier_loads,
    load_skolem_prefix,
    minted_graph,
)
from kg.store.protocol import Change, Store
from kg.update.audit import Write
from kg.update.commit import LoadOutcome, WriteTarget

REPLACE_HINT = (
    "to swap the earlier load for this one: aicap load --replace (over HTTP: replace=true)"
)
"""What a refused load may do instead."""

_LOADS = ox.NamedNode(str(LOADS_GRAPH))
_REPLACES = ox.NamedNode(str(DCTERMS.replaces))


@dataclass(frozen=True)
class LoadPlan:
    """What committing a load changes, once earlier loads of the same files are known.

    Attributes:
        change: the data change (validated): the new quads, the earlier loads' removed.
        replacing: (new load's activity, the earlier load it replaces), per pair.
        removed_records: the earlier loads' records in `LOADS_GRAPH`.
    """

    change: Change
    replacing: tuple[tuple[ox.NamedNode, EarlierLoad], ...] = ()
    removed_records: tuple[ox.Quad, ...] = ()

    @property
    def replaced(self) -> tuple[EarlierLoad, ...]:
        """The earlier loads replaced, each once, in order."""
        return tuple(dict.fromkeys(earlier for _, earlier in self.replacing))

    def replaces_records(self) -> list[ox.Quad]:
        """The records that say which earlier load each new one replaces (dct:replaces)."""
        return [ox.Quad(new, _REPLACES, old.activity, _LOADS) for new, old in self.replacing]


def commit_load(
    kg: WriteTarget,
    prepared: PreparedLoad,
    *,
    actor: str,
    replace: bool = False,
    operation: str = "load",
    request_text: bytes | None = None,
    data_change: Callable[[Store], Change] | None = None,
    superseded_graph: ox.NamedNode | ox.DefaultGraph | None = None,
) -> LoadOutcome:
    """Commit a prepared load in one validated, audited transaction (`WriteTarget.commit`).

    Args:
        kg: where the load goes.
        prepared: the parsed files and their records (`kg.rdf.loading.prepare_load`).
        actor: who loads, for the audit trail.
        replace: swap earlier loads of the same files' bytes instead of refusing.
        operation: what the write is, for the audit trail (``load``, ``graph-store POST``).
        request_text: the request body, whose hash the audit record keeps.
        data_change: computes the data change from the store, under the write lock;
            by default the prepared quads are added (a graph-store PUT also removes what
            the graph held).
        superseded_graph: a graph this write replaces whole (a graph-store PUT): an earlier
            load of the same bytes whose content is all in it is not loaded twice.

    Raises:
        AlreadyLoaded: a file's bytes were loaded before and `replace` is false, or two
            files of the load have the same bytes; nothing written.
        ShapeViolation: the change breaks a shape; nothing written.
        KgError: the loads changed while this one was prepared; nothing written.
    """
    base = data_change or (lambda store: Change(added=list(prepared.quads)))
    plan = plan_load(kg.store, prepared, replace=replace, superseded_graph=superseded_graph)
    if plan.replacing:
        operation = "replacing load" if operation == "load" else f"{operation} replacing a load"
    write = Write(
        actor,
        operation,
        request_text,
        records=(*prepared.records, *plan.replaces_records()),
        removed_records=plan.removed_records,
        replaces=tuple(earlier.activity for earlier in plan.replaced),
    )

    def prepare(store: Store) -> Change:
        # Under the write lock: another load may have committed since the plan was made.
        again = plan_load(store, prepared, replace=replace, superseded_graph=superseded_graph)
        if again.replacing != plan.replacing or again.removed_records != plan.removed_records:
            raise KgError(
                "the loads changed while this load was prepared; nothing was written",
                "run the load again",
            )
        return _combined(base(store), again.change, prepared.quads)

    committed = kg.commit(prepare, write)
    return LoadOutcome(tuple(prepared.files), len(prepared.quads), committed.report, plan.replaced)


def plan_load(
    store: Store,
    prepared: PreparedLoad,
    *,
    replace: bool,
    superseded_graph: ox.NamedNode | ox.DefaultGraph | None = None,
) -> LoadPlan:
    """Find earlier loads of the same bytes; refuse the load, or plan their replacement.

    An earlier load none of whose content is left outside `superseded_graph` (its graph
    was dropped since, or this write replaces that graph) would not be counted twice: its
    records go, and the load goes ahead.

    Raises:
        AlreadyLoaded: as `commit_load`.
    """
    _refuse_repeats(prepared.files)
    replacing: list[tuple[ox.NamedNode, EarlierLoad]] = []
    removed: list[ox.Quad] = []
    dropped: list[ox.NamedNode] = []
    records: list[ox.Quad] = []
    for loaded, quads in prepared.quads_by_file():
        for earlier in earlier_loads(store, loaded.sha256) if loaded.sha256 else []:
            its_graphs: list[ox.NamedNode] = []
            remaining = _quads_of(store, earlier, quads, its_graphs)
            its_graphs = [g for g in its_graphs if g != superseded_graph]
            if any(q.graph_name != superseded_graph for q in remaining) and not replace:
                raise _already_loaded(loaded, earlier)
            if any(q.graph_name != superseded_graph for q in remaining):
                replacing.append((loaded.activity, earlier))
            removed.extend(remaining)
            dropped.extend(its_graphs)
            records.extend(_records_of(store, earlier.activity))
    added = _canonical(prepared.quads)  # a quad removed and added back is not a change
    change = Change(
        added=list(prepared.quads),
        removed=[q for q in dict.fromkeys(removed) if q not in added],
        dropped_graphs=list(dict.fromkeys(dropped)),
    )
    return LoadPlan(change, tuple(replacing), tuple(dict.fromkeys(records)))


def _combined(data: Change, plan: Change, quads: list[ox.Quad]) -> Change:
    """The data change, with the earlier loads' removals of the plan (not its additions)."""
    added = _canonical(quads)
    removed = [q for q in dict.fromkeys([*data.removed, *plan.removed]) if q not in added]
    return Change(
        added=data.added,
        removed=removed,
        dropped_graphs=list(dict.fromkeys([*data.dropped_graphs, *plan.dropped_graphs])),
        created_graphs=data.created_graphs,
    )


def _refuse_repeats(files: Sequence[FileLoad]) -> None:
    """Refuse two files of one load with the same bytes: --replace cannot help there."""
    seen: dict[str, FileLoad] = {}
    for loaded in files:
        first = seen.setdefault(loaded.sha256, loaded) if loaded.sha256 else loaded
        if first is not loaded:
            raise AlreadyLoaded(
                f"{loaded.source} has the same bytes as {first.source}, in the same load; "
                "loading both would count every figure twice; nothing was written",
                first.activity.value,
                "load the file once",
            )


def _already_loaded(loaded: FileLoad, earlier: EarlierLoad) -> AlreadyLoaded:
    return AlreadyLoaded(
        f"{loaded.source}: the same bytes were loaded before, from {earlier.title} at "
        f"{earlier.started} (load <{earlier.activity.value}>); loading them again would "
        "count every figure twice; nothing was written",
        earlier.activity.value,
        REPLACE_HINT,
    )


def _quads_of(
    store: Store, earlier: EarlierLoad, file_quads: list[ox.Quad], dropped: list[ox.NamedNode]
) -> list[ox.Quad]:
    """Return the stored quads of an earlier load (the rule in the module's docstring).

    The earlier load read the same bytes as `file_quads` came from. Graphs minted for it
    are appended to `dropped`.
    """
    own = minted_graph(earlier.activity)
    prefix = load_skolem_prefix(earlier.activity)
    triples = {q.triple for q in _canonical(file_quads)}
    found: list[ox.Quad] = []
    for graph in earlier.graphs:
        stored = list(store.quads(None, None, None, graph))
        if graph == own:
            found.extend(stored)
            if store.contains_graph(graph):
                dropped.append(graph)
        else:
            found.extend(q for q in stored if q.triple in triples or _mentions(q, prefix))
    return found


def _mentions(quad: ox.Quad | ox.Triple, prefix: str | None) -> bool:
    """Tell whether a quad holds a Skolem IRI that starts with `prefix` (quoted triples too)."""
    if prefix is None:
        return False
    for term in (quad.subject, quad.object):
        if isinstance(term, ox.NamedNode) and term.value.startswith(prefix):
            return True
        if isinstance(term, ox.Triple) and _mentions(term, prefix):
            return True
    return False


def _records_of(store: Store, activity: ox.NamedNode) -> list[ox.Quad]:
    """Return a load's records: about its activity, and pointing to it (prov:wasGeneratedBy)."""
    about = store.quads(activity, None, None, _LOADS)
    return [*about, *store.quads(None, None, activity, _LOADS)]


def _canonical(quads: list[ox.Quad]) -> set[ox.Quad]:
    """Return quads as the store keeps them (``"1.0"^^xsd:decimal`` is ``"1"``) to compare."""
    scratch = ox.Store()
    scratch.extend(quads)
    return set(scratch)
