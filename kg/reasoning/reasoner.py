"""OWL reasoning with owlready2: check consistency, store the inferred triples in their own graph.

Every asserted quad (all graphs but `INFERRED_GRAPH`, graph names dropped) goes to a fresh
owlready2 `World`, HermiT classifies it, and what the reasoner found is completed into the
triples a SPARQL user expects: every named type of every individual, the whole subclass and
subproperty hierarchy, and the property values that sub-properties, inverses, symmetric and
transitive properties entail. Those replace `INFERRED_GRAPH` in one transaction.

When the reasoner says "inconsistent", the culprits come from a disjointness check of each
individual's types (asserted, or from property domains and ranges, closed under the asserted
class hierarchy) and, if that finds nothing, from Pellet's explanation of the inconsistency.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import owlready2
import pyoxigraph as ox

from kg.errors import BadParameter, Inconsistent, KgError
from kg.namespaces import INFERRED_GRAPH
from kg.reasoning.entailment import (
    EQUIVALENT_CLASS,
    NOTHING,
    disjointness_clashes,
    entailed,
    is_schema,
    local_names,
    short_name,
    unsatisfiable_reasons,
)
from kg.store.protocol import Change, Store
from kg.store.skolem import deskolemize

REASONERS = ("hermit", "pellet")
JAVA_MEMORY_MB = 2000
"""Heap of the reasoner's Java process."""
EXPLAIN_TIMEOUT_S = 60.0
"""Pellet's explanation of an inconsistency is stopped after this long."""
MAX_CULPRITS = 50

_log = logging.getLogger(__name__)
_lock = threading.Lock()  # owlready2 keeps process-wide state (JAVA_MEMORY, stdout capture)

_INTERNAL = "http://owlready.invalid/"
"""Where the IRIs of the owlready2 ontologies made here live; nothing under it is stored."""
_INFERENCES_IRI = _INTERNAL + "aicap-inferences/"
_INPUT_IRI = _INTERNAL + "aicap-input/"
_OWLREADY_NS = "http://www.lesfleursdunormal.fr/static/_downloads/owlready_ontology.owl#"
_INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
_IMPORTS = ox.NamedNode("http://www.w3.org/2002/07/owl#imports")


@dataclass(frozen=True)
class ReasoningOutcome:
    """What a reasoning run found.

    Attributes:
        consistent: True when the ontology and data are consistent and no class is
            unsatisfiable (`reason` raises otherwise; `Inconsistent.details` then holds an
            outcome with False here).
        inferred_triples: how many triples `INFERRED_GRAPH` holds after the run.
        seconds: wall-clock time of the whole run.
        unsatisfiable_classes: IRIs of the classes equivalent to owl:Nothing.
    """

    consistent: bool
    inferred_triples: int
    seconds: float
    unsatisfiable_classes: list[str] = field(default_factory=list)


def reason(store: Store, *, reasoner: str = "hermit") -> ReasoningOutcome:
    """Run the OWL reasoner over the store and replace `INFERRED_GRAPH` with what it entails.

    Args:
        store: the store; every graph but `INFERRED_GRAPH` is read as asserted.
        reasoner: ``hermit`` (default) or ``pellet`` (owlready2 0.51's Pellet needs Java 25+).

    Returns:
        The outcome of a consistent run; the inferred triples are stored.

    Raises:
        BadParameter: an unknown reasoner name.
        Inconsistent: the data is inconsistent or a class is unsatisfiable; `culprits` names
            the individuals and classes, `details` is a `ReasoningOutcome`. Nothing is written.
        KgError: Java is missing or the reasoner failed.
    """
    if reasoner not in REASONERS:
        raise BadParameter(f"unknown reasoner {reasoner!r}", "accepted: " + ", ".join(REASONERS))
    started = time.perf_counter()
    asserted = _asserted_triples(store)
    try:
        found = _run_owlready(asserted, reasoner)
    except owlready2.OwlReadyInconsistentOntologyError:
        message, culprits = _find_culprits(asserted)
        details = ReasoningOutcome(False, 0, time.perf_counter() - started)
        raise Inconsistent(message, culprits, details) from None
    unsatisfiable = _unsatisfiable_classes(found)
    if unsatisfiable:
        details = ReasoningOutcome(False, 0, time.perf_counter() - started, unsatisfiable)
        raise Inconsistent(_unsatisfiable_message(asserted, unsatisfiable), unsatisfiable, details)
    inferred = entailed(asserted, found, internal=(_INTERNAL, _OWLREADY_NS))
    _replace_inferred(store, inferred)
    return ReasoningOutcome(True, len(inferred), time.perf_counter() - started, [])


def _asserted_triples(store: Store) -> set[ox.Triple]:
    """Return the union of every graph but `INFERRED_GRAPH`, minus what owlready2 must not see."""
    triples = set()
    for quad in store.quads():
        if quad.graph_name == _INFERRED or quad.predicate == _IMPORTS:
            continue  # owlready2 would fetch the imports from the network
        if quad.predicate.value.startswith(_OWLREADY_NS):
            continue  # owlready2:python_module would make it import a Python module
        triples.add(quad.triple)
    # Blank nodes are stored as Skolem IRIs (kg.store.skolem); OWL's RDF mapping needs class
    # expressions and lists as blank nodes, so the reasoner gets them back as such.
    return set(deskolemize(triples))


def _run_owlready(triples: set[ox.Triple], reasoner: str) -> set[ox.Triple]:
    """Load the triples in a fresh owlready2 World, run the reasoner, return what it added.

    Raises:
        OwlReadyInconsistentOntologyError: the reasoner found the input inconsistent.
        KgError: Java is missing or failed.
    """
    data = _ntriples(triples)
    with _lock, _captured_output() as log:
        owlready2.reasoning.JAVA_MEMORY = JAVA_MEMORY_MB
        world = owlready2.World()
        try:
            world.get_ontology(_INPUT_IRI).load(fileobj=io.BytesIO(data), format="ntriples")
            inferences = world.get_ontology(_INFERENCES_IRI)
            with inferences:
                _sync(world, reasoner)
            out = io.BytesIO()
            inferences.save(out, format="ntriples")
        except owlready2.OwlReadyJavaError as exc:
            raise KgError(f"the {reasoner} reasoner failed", _java_hint(str(exc))) from None
        except OSError as exc:
            raise KgError(f"cannot run Java for the reasoner: {exc}", "install Java 11+") from None
        finally:
            world.close()
            _remove_reasoner_input(log.getvalue())
    _log.debug("owlready2 said:\n%s", log.getvalue())
    return {q.triple for q in ox.parse(out.getvalue(), format=ox.RdfFormat.N_TRIPLES)}


def _ntriples(triples: Iterable[ox.Triple]) -> bytes:
    buffer = io.BytesIO()
    ox.serialize(triples, buffer, format=ox.RdfFormat.N_TRIPLES)
    return buffer.getvalue()


def _sync(world: owlready2.World, reasoner: str) -> None:
    # debug=1 only so that the temporary file's name is printed (see _remove_reasoner_input)
    if reasoner == "hermit":
        owlready2.sync_reasoner_hermit(
            world, infer_property_values=True, debug=1, ignore_unsupported_datatypes=True
        )
    else:
        owlready2.sync_reasoner_pellet(world, infer_property_values=True, debug=1)


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    """Keep what owlready2 prints off the CLI's stdout and stderr."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        yield buffer


def _remove_reasoner_input(log: str) -> None:
    """Delete the N-Triples file owlready2 leaves behind when the reasoner fails."""
    tmp = re.escape(tempfile.gettempdir())
    for path in re.findall(rf"(?:file:///)?({tmp}/tmp\w+)\b", log):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _java_hint(error: str) -> str:
    if "UnsupportedClassVersionError" in error:
        return "owlready2's Pellet needs a newer Java (25+); HermiT, the default, runs on 11+"
    return error[-2000:]


def _unsatisfiable_message(asserted: set[ox.Triple], classes: list[str]) -> str:
    names = ", ".join(short_name(iri) for iri in classes)
    message = f"{len(classes)} unsatisfiable classes (equivalent to owl:Nothing): {names}"
    return message + "".join(f"; {why}" for why in unsatisfiable_reasons(asserted, classes)[:10])


def _unsatisfiable_classes(found: set[ox.Triple]) -> list[str]:
    return sorted(
        t.subject.value
        for t in found
        if t.predicate == EQUIVALENT_CLASS
        and t.object == NOTHING
        and isinstance(t.subject, ox.NamedNode)
        and not is_schema(t.subject)
    )


def _replace_inferred(store: Store, inferred: set[ox.Triple]) -> None:
    """Make `INFERRED_GRAPH` hold exactly `inferred`, in one transaction."""
    new = {ox.Quad(t.subject, t.predicate, t.object, _INFERRED) for t in inferred}
    old = set(store.quads(graph=_INFERRED))
    change = Change(added=sorted(new - old, key=str), removed=sorted(old - new, key=str))
    if change:
        store.apply_change(change)


def _find_culprits(asserted: set[ox.Triple]) -> tuple[str, list[str]]:
    """Name the resources behind an inconsistency, with a message that says why."""
    clashes = disjointness_clashes(asserted)
    if clashes:
        culprits = _unique(iri for clash in clashes for iri in clash.culprits)[:MAX_CULPRITS]
        lines = "; ".join(clash.message for clash in clashes[:10])
        more = f" (and {len(clashes) - 10} more)" if len(clashes) > 10 else ""
        return f"the data is inconsistent: {lines}{more}", culprits
    explanation = _explain_with_pellet(asserted)
    culprits = _explanation_culprits(explanation, asserted)[:MAX_CULPRITS]
    if culprits:
        return f"the data is inconsistent; Pellet explains:\n{explanation.strip()}", culprits
    return "the data is inconsistent; neither the disjointness check nor Pellet named a cause", []


def _explain_with_pellet(triples: set[ox.Triple]) -> str:
    """Return Pellet's explanation of the inconsistency ('' if it fails or times out)."""
    pellet = Path(owlready2.__file__).parent / "pellet"
    classpath = os.pathsep.join([*(str(jar) for jar in sorted(pellet.glob("*.jar"))), str(pellet)])
    with tempfile.TemporaryDirectory(prefix="aicap-explain-") as tmp:
        path = Path(tmp) / "input.nt"
        path.write_bytes(_ntriples(triples))
        command = [owlready2.JAVA_EXE, f"-Xmx{JAVA_MEMORY_MB}M", "-cp", classpath]
        command += ["pellet.Pellet", "explain", "--ignore-imports", str(path)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=EXPLAIN_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            _log.warning("Pellet's explanation failed: %s", exc)
            return ""
    return done.stdout.decode("utf-8", "replace")


def _explanation_culprits(explanation: str, triples: set[ox.Triple]) -> list[str]:
    """Map the short names in Pellet's explanation back to the resources they stand for."""
    by_name = local_names(triples)
    _, _, axioms = explanation.partition("Explanation(s):")
    tokens = re.findall(r"[^\s(),\[\]{}]+", axioms)
    return _unique(iri for token in tokens for iri in sorted(by_name.get(token, ())))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
