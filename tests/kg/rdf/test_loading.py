"""`kg.rdf.loading` and `KnowledgeGraph.load/export`: parsing, provenance of loads, bootstrap."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.errors import (
    BadParameter,
    Forbidden,
    RdfSyntaxError,
    ShapeViolation,
    UnknownResource,
    UnsupportedFormat,
)
from kg.graph import KnowledgeGraph
from kg.namespaces import ARTICLE_GRAPH, BASE_IRI, LOADS_GRAPH, ONTOLOGY_GRAPH
from kg.query.guards import check_query_safety
from kg.rdf.bootstrap import bootstrap
from kg.rdf.loading import load_skolem_prefix, prepare_load
from kg.rdf.parsing import parse_rdf_bytes, parse_rdf_file
from kg.store.embedded import EmbeddedStore

TEST_DATA = Path(__file__).parents[2] / "data"
EX = "http://example.org/"
A, P, G = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"), ox.NamedNode(EX + "g")
TRIPLE = ox.Triple(A, P, ox.Literal("x"))
LOADS = ox.NamedNode(str(LOADS_GRAPH))
PROV = "http://www.w3.org/ns/prov#"


@contextmanager
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP port on loopback that records what connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.1)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                received.append(conn.recv(1024) or b"(connected)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        stop.set()
        thread.join()
        server.close()


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        (".ttl", ox.RdfFormat.TURTLE),
        (".nt", ox.RdfFormat.N_TRIPLES),
        (".nq", ox.RdfFormat.N_QUADS),
        (".trig", ox.RdfFormat.TRIG),
        (".jsonld", ox.RdfFormat.JSON_LD),
        (".rdf", ox.RdfFormat.RDF_XML),
        (".owl", ox.RdfFormat.RDF_XML),
    ],
)
def test_every_accepted_suffix_parses_and_triples_go_to_the_given_graph(
    tmp_path: Path, suffix: str, fmt: ox.RdfFormat
) -> None:
    path = tmp_path / f"one{suffix}"
    items = [ox.Quad(A, P, ox.Literal("x"))] if fmt.supports_datasets else [TRIPLE]
    path.write_bytes(ox.serialize(items, format=fmt) or b"")

    assert parse_rdf_file(path, G) == [ox.Quad(A, P, ox.Literal("x"), G)]


def test_quads_of_a_trig_file_keep_their_graph(tmp_path: Path) -> None:
    path = tmp_path / "two.trig"
    path.write_text(f"<{EX}g2> {{ <{EX}a> <{EX}p> 1 }}\n<{EX}a> <{EX}p> 2 .\n")

    graphs = {q.graph_name for q in parse_rdf_file(path, G)}

    assert graphs == {ox.NamedNode(EX + "g2"), G}


def test_unknown_suffix_is_unsupported_and_lists_the_accepted_ones(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n")

    with pytest.raises(UnsupportedFormat) as raised:
        parse_rdf_file(path)

    assert str(path) in raised.value.message
    for suffix in (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf", ".owl"):
        assert suffix in str(raised.value.hint)


def test_malformed_turtle_names_file_line_column_and_what_was_expected() -> None:
    path = TEST_DATA / "malformed.ttl"

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_file(path)

    error = raised.value
    assert (error.source, error.line, error.column) == (str(path), 4, 5)
    assert str(path) in error.message
    assert "line 4, column 5" in error.message
    assert "A dot is expected" in error.message


def test_malformed_rdfxml_is_located_by_line_although_pyoxigraph_gives_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.rdf"
    path.write_text(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'<rdf:Description rdf:about="{EX}a">\n'
        "</rdf:RDF>\n"
    )

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_file(path)

    assert raised.value.line == 3
    assert "line 3" in raised.value.message


def test_jsonld_remote_context_fails_clearly_without_fetching() -> None:
    doc = b'{"@context": "http://127.0.0.1:9/ctx", "@id": "http://example.org/a", "name": "x"}'

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(doc, "application/ld+json")

    assert "remote JSON-LD contexts are never fetched" in str(raised.value)


def test_jsonld_remote_context_makes_no_connection() -> None:
    with listener() as (port, received):
        doc = f'{{"@context": "http://127.0.0.1:{port}/ctx", "@id": "{EX}a", "name": "x"}}'
        with pytest.raises(RdfSyntaxError):
            parse_rdf_bytes(doc.encode(), "application/ld+json")

    assert received == []


def test_rdfxml_external_entity_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    doc = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        f'xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}a"><ex:p>&xxe;</ex:p>'
        "</rdf:Description></rdf:RDF>\n"
    )

    with pytest.raises(RdfSyntaxError) as raised:
        parse_rdf_bytes(doc.encode(), "application/rdf+xml")

    assert "external XML entities are never resolved" in str(raised.value)
    assert "TOP-SECRET" not in str(raised.value)


def test_rdfxml_external_dtd_is_not_fetched() -> None:
    with listener() as (port, received):
        doc = (
            '<?xml version="1.0"?>\n'
            f'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:{port}/x.dtd">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}a"><ex:p>x</ex:p>'
            "</rdf:Description></rdf:RDF>\n"
        )
        quads = parse_rdf_bytes(doc.encode(), "application/rdf+xml")

    assert received == []
    assert [q.triple for q in quads] == [TRIPLE]


def test_bytes_take_their_syntax_from_the_media_type_with_parameters() -> None:
    quads = parse_rdf_bytes(f'<{EX}a> <{EX}p> "x" .'.encode(), "text/turtle; charset=utf-8")

    assert [q.triple for q in quads] == [TRIPLE]


def test_unknown_media_type_is_unsupported_and_lists_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedFormat) as raised:
        parse_rdf_bytes(b"a,b", "text/csv")

    assert "text/turtle" in str(raised.value)


def test_a_load_without_graph_goes_to_its_own_graph_described_in_the_loads_graph() -> None:
    prepared = prepare_load([TEST_DATA / "new-claim.ttl"], None, BASE_IRI)

    (loaded,) = prepared.files
    (graph,) = loaded.graphs
    assert isinstance(graph, ox.NamedNode)
    assert graph.value.startswith(BASE_IRI + "graph/load/")
    assert {q.graph_name for q in prepared.quads} == {graph}
    record = {
        (q.predicate.value, q.object) for q in prepared.records if q.subject == loaded.activity
    }
    assert {q.graph_name for q in prepared.records} == {LOADS}
    assert (PROV + "generated", graph) in record
    assert ("http://purl.org/dc/terms/title", ox.Literal("new-claim.ttl")) in record
    count = ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    assert ("http://rdfs.org/ns/void#triples", count) in record
    (started,) = [o for p, o in record if p == PROV + "startedAtTime"]
    assert isinstance(started, ox.Literal)
    assert started.datatype.value == "http://www.w3.org/2001/XMLSchema#dateTime"


def test_each_file_of_a_load_is_recorded_with_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    blank = tmp_path / "blank.ttl"
    blank.write_text(f'<{EX}a> <{EX}p> [ <{EX}q> "x" ] .\n')

    prepared = prepare_load([TEST_DATA / "new-claim.ttl", blank], None, BASE_IRI)

    for loaded in prepared.files:
        digest = hashlib.sha256(Path(loaded.source).read_bytes()).hexdigest()
        assert loaded.sha256 == digest
        recorded = {q.object for q in prepared.records if q.subject == loaded.activity}
        assert ox.Literal(digest) in recorded
    (_, blank_load) = prepared.files
    prefix = load_skolem_prefix(blank_load.activity)
    assert prefix is not None
    skolem = {q.object for q in prepared.quads if q.predicate == P}
    assert all(isinstance(o, ox.NamedNode) and o.value.startswith(prefix) for o in skolem)
    assert len(skolem) == 1


def test_a_load_with_graph_puts_triples_there() -> None:
    prepared = prepare_load([TEST_DATA / "new-claim.ttl"], EX + "mine", BASE_IRI)

    assert {q.graph_name for q in prepared.quads} == {ox.NamedNode(EX + "mine")}


def test_a_graph_that_is_not_an_iri_is_a_bad_parameter() -> None:
    with pytest.raises(BadParameter):
        prepare_load([TEST_DATA / "new-claim.ttl"], "not an iri", BASE_IRI)


def test_bootstrap_fills_an_empty_store_once(settings: Settings) -> None:
    store = EmbeddedStore(None)

    written = bootstrap(store, settings)
    again = bootstrap(store, settings)

    assert written == store.count() > 0
    assert again == 0
    graphs = set(store.graphs())
    assert {ox.NamedNode(str(g)) for g in (ONTOLOGY_GRAPH, ARTICLE_GRAPH, LOADS_GRAPH)} <= graphs
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    assert any(store.quads(graph=ontology))


def test_a_second_open_reuses_the_store(settings: Settings) -> None:
    with KnowledgeGraph.open(settings) as first:
        count = first.triple_count()
        first.load([TEST_DATA / "new-claim.ttl"])
        loaded = first.triple_count()

    with KnowledgeGraph.open(settings) as second:
        assert second.triple_count() == loaded > count


def test_load_writes_the_file_and_its_record(kg: KnowledgeGraph) -> None:
    before = kg.triple_count()

    outcome = kg.load([TEST_DATA / "new-claim.ttl"])

    assert outcome.quads == 3
    assert outcome.report.conforms
    (graph,) = outcome.graphs
    assert len(list(kg.store.quads(graph=ox.NamedNode(graph)))) == 3
    assert kg.triple_count() > before + 3


def test_load_that_breaks_a_shape_writes_nothing(kg: KnowledgeGraph) -> None:
    before = set(kg.store.quads())

    with pytest.raises(ShapeViolation) as raised:
        kg.load([TEST_DATA / "new-claim.ttl", TEST_DATA / "claim-without-quote.ttl"])

    assert "Claim-quote" in raised.value.report.text
    assert set(kg.store.quads()) == before


def test_load_with_one_malformed_file_writes_nothing(kg: KnowledgeGraph) -> None:
    before = kg.triple_count()

    with pytest.raises(RdfSyntaxError):
        kg.load([TEST_DATA / "new-claim.ttl", TEST_DATA / "malformed.ttl"])

    assert kg.triple_count() == before


def test_export_of_one_graph_in_nquads_keeps_its_name(kg: KnowledgeGraph) -> None:
    out = io.BytesIO()

    kg.export(out, "nq", str(ARTICLE_GRAPH))

    quads = list(ox.parse(out.getvalue(), format=ox.RdfFormat.N_QUADS))
    assert quads
    assert {q.graph_name for q in quads} == {ox.NamedNode(str(ARTICLE_GRAPH))}


def test_turtle_export_of_the_dataset_is_the_merge_of_all_graphs(kg: KnowledgeGraph) -> None:
    out = io.BytesIO()

    kg.export(out, "ttl")

    triples = {q.triple for q in ox.parse(out.getvalue(), format=ox.RdfFormat.TURTLE)}
    assert triples == {q.triple for q in kg.store.quads()}


def test_export_of_an_unknown_graph_lists_the_known_ones(kg: KnowledgeGraph) -> None:
    with pytest.raises(UnknownResource) as raised:
        kg.export(io.BytesIO(), "trig", EX + "nope")

    assert str(ARTICLE_GRAPH) in raised.value.known


def test_service_in_a_query_is_refused_before_the_engine_connects(kg: KnowledgeGraph) -> None:
    with listener() as (port, received), pytest.raises(Forbidden):
        kg.query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}")

    assert received == []


@pytest.mark.parametrize(
    "sparql",
    [
        "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    ],
)
def test_every_spelling_of_service_is_refused(sparql: str) -> None:
    with pytest.raises(Forbidden):
        check_query_safety(sparql, allowed_urls=())


@pytest.mark.parametrize(
    "sparql",
    [
        'SELECT ?service WHERE { ?service <http://example.org/p> "SERVICE <http://x/>" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://example.org/sparql>",
        "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:SERVICE ?o }",
    ],
)
def test_service_in_strings_comments_variables_and_names_is_not_refused(sparql: str) -> None:
    check_query_safety(sparql, allowed_urls=())


def test_an_allowed_service_url_passes_the_check() -> None:
    sparql = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"

    check_query_safety(sparql, allowed_urls=["http://example.org/sparql"])


def test_the_default_graph_may_be_given_as_an_iri_string() -> None:
    data = f'<{EX}a> <{EX}p> "x" .'.encode()

    assert parse_rdf_bytes(data, "text/turtle", EX + "g") == [ox.Quad(A, P, ox.Literal("x"), G)]
    with pytest.raises(BadParameter):
        parse_rdf_bytes(data, "text/turtle", "g h")
