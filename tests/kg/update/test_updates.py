"""`kg.update.sparql_update`: a SPARQL 1.1 Update computed as a change, operation after operation.

Most cases run on an in-memory store through `update_change` (the change, not validated);
the last ones go through `apply_update` on the bundled graph (validated, audited, one
transaction).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import (
    BadInput,
    BadParameter,
    Forbidden,
    KgError,
    QuerySyntaxError,
    ShapeViolation,
    TooComplex,
    UnknownResource,
)
from kg.graph import KnowledgeGraph
from kg.namespaces import AICAP, AUDIT_GRAPH, BASE_IRI
from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.store.skolem import SKOLEM_PATH
from kg.update.sparql_update import (
    UpdateDataset,
    apply_update,
    check_dataset,
    parse_update,
    update_change,
)
from kg.update.workspace import Workspace

EX = "http://example.org/"
PREFIX = f"PREFIX ex: <{EX}>\n"
G = ox.NamedNode(EX + "g")
H = ox.NamedNode(EX + "h")
DEFAULT = ox.DefaultGraph()
DATA = Path(__file__).parents[2] / "data"


def ex(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def q(s: str, p: str, o: str | int, g: ox.NamedNode | ox.DefaultGraph = DEFAULT) -> ox.Quad:
    value = ox.Literal(str(o), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
    return ox.Quad(ex(s), ex(p), value if isinstance(o, int) else ex(o), g)


@pytest.fixture
def store() -> EmbeddedStore:
    """An in-memory store: ex:a ex:p 1, 2 in ex:g; ex:b ex:p 3 in the default graph."""
    store = EmbeddedStore(None)
    store.apply_change(Change(added=[q("a", "p", 1, G), q("a", "p", 2, G), q("b", "p", 3)]))
    return store


def change_of(
    store: EmbeddedStore, update: str, scratch: Path, dataset: UpdateDataset | None = None
) -> Change:
    parsed = parse_update(PREFIX + update)
    with Workspace(store, scratch) as workspace:
        return update_change(parsed, workspace, dataset or UpdateDataset(), BASE_IRI)


def run(store: EmbeddedStore, update: str, scratch: Path) -> Change:
    change = change_of(store, update, scratch)
    store.apply_change(change)
    return change


# --- sequence ---------------------------------------------------------------------------------


def test_a_later_operation_sees_what_an_earlier_one_inserted(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = run(
        store,
        "INSERT DATA { GRAPH ex:g { ex:c ex:p 4 } } ; DELETE WHERE { GRAPH ex:g { ?s ex:p ?o } }",
        tmp_path,
    )
    assert list(store.quads(graph=G)) == []
    assert change.added == [], "a quad inserted then deleted is neither"
    assert set(change.removed) == {q("a", "p", 1, G), q("a", "p", 2, G)}
    assert list(tmp_path.iterdir()) == [], "the scratch copy is deleted"


def test_a_later_operation_sees_what_an_earlier_one_deleted(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    run(
        store,
        "DELETE DATA { GRAPH ex:g { ex:a ex:p 1 } } ; "
        "INSERT { GRAPH ex:h { ?s ex:copied ?o } } WHERE { GRAPH ex:g { ?s ex:p ?o } }",
        tmp_path,
    )
    assert list(store.quads(graph=H)) == [q("a", "copied", 2, H)]


def test_removing_then_adding_a_stored_quad_is_no_change(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = change_of(
        store,
        "DELETE DATA { GRAPH ex:g { ex:a ex:p 1 } } ; INSERT DATA { GRAPH ex:g { ex:a ex:p 1 } }",
        tmp_path,
    )
    assert len(change) == 0


def test_adding_what_is_stored_is_no_change(store: EmbeddedStore, tmp_path: Path) -> None:
    assert len(change_of(store, "INSERT DATA { GRAPH ex:g { ex:a ex:p 1 } }", tmp_path)) == 0


# --- DELETE / INSERT ... WHERE ---------------------------------------------------------------


def test_with_names_the_template_graph_and_the_where_default_graph(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    run(store, "WITH ex:g DELETE { ?s ex:p 1 } INSERT { ?s ex:q 10 } WHERE { ?s ex:p 1 }", tmp_path)
    assert set(store.quads(graph=G)) == {q("a", "p", 2, G), q("a", "q", 10, G)}
    assert list(store.quads(graph=DEFAULT)) == [q("b", "p", 3)]


def test_using_sets_the_where_dataset_but_not_the_template_graph(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    run(store, "INSERT { ?s ex:seen ?o } USING ex:g WHERE { ?s ex:p ?o }", tmp_path)
    assert set(store.quads(None, ex("seen"))) == {q("a", "seen", 1), q("a", "seen", 2)}


def test_using_named_alone_leaves_an_empty_default_graph(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = change_of(
        store,
        "INSERT { ?s ex:seen ?o } USING NAMED ex:g "
        "WHERE { { ?s ex:p ?o } UNION { GRAPH ?g { ?s ex:p ?o } } }",
        tmp_path,
    )
    assert {quad.object for quad in change.added} == {
        ox.Literal("1", datatype=_INT),
        ox.Literal("2", datatype=_INT),
    }


def test_protocol_using_graph_uri_applies_like_using(store: EmbeddedStore, tmp_path: Path) -> None:
    dataset = UpdateDataset(using=(EX + "g",))
    change = change_of(store, "INSERT { ?s ex:seen ?o } WHERE { ?s ex:p ?o }", tmp_path, dataset)
    assert {quad.subject for quad in change.added} == {ex("a")}


def test_protocol_dataset_and_a_using_clause_together_are_refused(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    with pytest.raises(BadParameter, match="USING"):
        check_dataset(
            parse_update(PREFIX + "INSERT { ?s ex:x 1 } USING ex:g WHERE { ?s ?p ?o }"),
            UpdateDataset(using=(EX + "h",)),
        )


def test_the_where_clause_sees_the_store_default_graph_not_the_union(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = change_of(store, "DELETE WHERE { ?s ex:p ?o }", tmp_path)
    assert change.removed == [q("b", "p", 3)]


def test_insert_template_blank_nodes_are_fresh_per_solution_and_skolemized(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = run(
        store,
        "INSERT { GRAPH ex:h { ?s ex:note [ ex:value ?o ] } } WHERE { GRAPH ex:g { ?s ex:p ?o } }",
        tmp_path,
    )
    notes = {quad.object for quad in change.added if quad.predicate == ex("note")}
    assert len(notes) == 2
    assert all(
        isinstance(n, ox.NamedNode) and n.value.startswith(BASE_IRI + SKOLEM_PATH) for n in notes
    )


def test_a_template_triple_left_unbound_is_skipped(store: EmbeddedStore, tmp_path: Path) -> None:
    change = change_of(
        store,
        "INSERT { ?s ex:x ?missing . ?s ex:y 1 } WHERE { GRAPH ex:g { ?s ex:p 1 } }",
        tmp_path,
    )
    assert change.added == [q("a", "y", 1)]


def test_a_literal_bound_as_subject_is_skipped(store: EmbeddedStore, tmp_path: Path) -> None:
    change = change_of(store, "INSERT { ?o ex:x 1 } WHERE { GRAPH ex:g { ?s ex:p ?o } }", tmp_path)
    assert change.added == []


def test_a_variable_graph_in_the_template_takes_the_solution_graph(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = change_of(
        store, "INSERT { GRAPH ?g { ?s ex:flag 1 } } WHERE { GRAPH ?g { ?s ex:p 1 } }", tmp_path
    )
    assert change.added == [q("a", "flag", 1, G)]


# --- graph management -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "g_quads", "default_quads", "graphs"),
    [
        ("CLEAR GRAPH ex:g", 0, 1, {G}),
        ("CLEAR DEFAULT", 2, 0, {G}),
        ("CLEAR ALL", 0, 0, {G}),
        ("DROP GRAPH ex:g", 0, 1, set()),
        ("DROP NAMED", 0, 1, set()),
        ("DROP ALL", 0, 0, set()),
        ("CREATE GRAPH ex:h", 2, 1, {G, H}),
        ("ADD ex:g TO DEFAULT", 2, 3, {G}),
        ("COPY ex:g TO DEFAULT", 2, 2, {G}),
        ("MOVE ex:g TO DEFAULT", 0, 2, set()),
        ("ADD ex:g TO ex:g", 2, 1, {G}),
        ("COPY DEFAULT TO ex:g", 1, 1, {G}),
        ("MOVE DEFAULT TO ex:h", 2, 0, {G, H}),
    ],
)
def test_graph_management_operations(
    store: EmbeddedStore,
    tmp_path: Path,
    update: str,
    g_quads: int,
    default_quads: int,
    graphs: set[ox.NamedNode],
) -> None:
    run(store, update, tmp_path)
    assert len(list(store.quads(graph=G))) == g_quads
    assert len(list(store.quads(graph=DEFAULT))) == default_quads
    assert set(store.graphs()) == graphs


@pytest.mark.parametrize("verb", ["CLEAR", "DROP"])
def test_a_missing_graph_is_unknown_unless_silent(
    store: EmbeddedStore, tmp_path: Path, verb: str
) -> None:
    with pytest.raises(UnknownResource, match="no such graph"):
        change_of(store, f"{verb} GRAPH ex:nothing", tmp_path)
    assert len(change_of(store, f"{verb} SILENT GRAPH ex:nothing", tmp_path)) == 0


def test_creating_an_existing_graph_is_refused_unless_silent(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    with pytest.raises(BadParameter, match="exists already"):
        change_of(store, "CREATE GRAPH ex:g", tmp_path)
    assert len(change_of(store, "CREATE SILENT GRAPH ex:g", tmp_path)) == 0


def test_copying_a_missing_graph_is_unknown_unless_silent(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    with pytest.raises(UnknownResource):
        change_of(store, "COPY ex:nothing TO ex:g", tmp_path)
    assert len(change_of(store, "COPY SILENT ex:nothing TO ex:g", tmp_path)) == 0


def test_drop_then_insert_keeps_the_graph_with_the_new_quads(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    change = run(store, "DROP GRAPH ex:g ; INSERT DATA { GRAPH ex:g { ex:n ex:p 9 } }", tmp_path)
    assert change.dropped_graphs == []
    assert list(store.quads(graph=G)) == [q("n", "p", 9, G)]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://example.org/data.ttl>",
        "LOAD SILENT <http://example.org/data.ttl> INTO GRAPH ex:g",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "INSERT DATA { ex:a ex:b 1 } ; LOAD <http://example.org/data.ttl>",
    ],
)
def test_load_and_service_are_forbidden_before_parsing(update: str) -> None:
    with pytest.raises(Forbidden):
        parse_update(PREFIX + update)


@pytest.mark.parametrize(
    ("update", "line", "column"),
    [
        ("INSERT DATA {\n  ex:a ex:p ?x }", 3, 13),
        ('INSERT DATA { ex:a ex:p "open }', 2, None),
        ("INSERT { ?s ex:p 1 }\nWHERE { ?s ?p ?o FILTER( }", 3, None),
        ("DELET DATA { ex:a ex:p 1 }", 2, None),
    ],
)
def test_syntax_errors_give_the_line_and_column(update: str, line: int, column: int | None) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_update(PREFIX + update)
    assert f"line {line}, column " in caught.value.message
    if column is not None:
        assert f"line {line}, column {column}:" in caught.value.message


def test_an_undeclared_prefix_is_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError, match="nope: is not declared"):
        parse_update("INSERT { ?s nope:p 1 } WHERE { ?s ?p ?o }")


def test_blank_nodes_in_delete_data_are_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError, match="blank nodes"):
        parse_update(PREFIX + "DELETE DATA { _:b ex:p 1 }")


def test_a_blank_node_label_shared_by_two_operations_is_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError, match="two operations"):
        parse_update(PREFIX + "INSERT DATA { _:b ex:p 1 } ; INSERT DATA { _:b ex:p 2 }")


def test_templates_beyond_the_parsed_size_limit_are_too_complex() -> None:
    template = " ".join(f"?s ex:p{i} {i} ." for i in range(3000))
    with pytest.raises(TooComplex, match="INSERT DATA"):
        parse_update(PREFIX + f"INSERT {{ {template} }} WHERE {{ ?s ?p ?o }}")


def test_a_large_insert_data_parses_quickly() -> None:
    triples = "\n".join(f'ex:s{i} ex:p "value {i}" .' for i in range(20_000))
    started = time.perf_counter()
    parsed = parse_update(PREFIX + f"INSERT DATA {{ GRAPH ex:g {{ {triples} }} }}")
    assert len(parsed.operations[0].data) == 20_000
    assert time.perf_counter() - started < 5.0  # rdflib alone: minutes


def test_quad_data_keeps_graphs_strings_and_comments_apart() -> None:
    parsed = parse_update(
        PREFIX
        + 'INSERT DATA { ex:a ex:p "x;}{ GRAPH" . GRAPH ex:g { ex:a ex:q 1 } . ex:b ex:p 2 # }\n}'
    )
    data = parsed.operations[0].data
    assert {(quad.subject, quad.graph_name) for quad in data} == {
        (ex("a"), DEFAULT),
        (ex("a"), G),
        (ex("b"), DEFAULT),
    }


# --- through the knowledge graph: validated, audited, one transaction ------------------------


def obligation_update(name: str, amount: str) -> str:
    """INSERT DATA of tests/data/new-obligation.ttl, renamed, with this amount."""
    text = (DATA / "new-obligation.ttl").read_text()
    text = text.replace("OBLIGATION", name).replace("AMOUNT", amount)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    prologue = "\n".join(line for line in lines if line.startswith("PREFIX"))
    body = "\n".join(line for line in lines if not line.startswith("PREFIX"))
    return f"{prologue}\nINSERT DATA {{ GRAPH <http://example.org/g> {{ {body} }} }}"


def audit_records(kg: KnowledgeGraph) -> list[ox.Quad]:
    return list(kg.store.quads(graph=ox.NamedNode(str(AUDIT_GRAPH))))


def test_an_update_breaking_a_shape_raises_and_writes_nothing(kg: KnowledgeGraph) -> None:
    before = kg.triple_count()
    with pytest.raises(ShapeViolation) as caught:
        apply_update(
            kg,
            PREFIX + "INSERT DATA { ex:x ex:y 1 } ;\n" + obligation_update("negative", "-5.0"),
            actor="tester",
        )
    components = {r.source_constraint_component for r in caught.value.report.violations}
    assert "sh:MinExclusiveConstraintComponent" in components
    assert kg.triple_count() == before
    assert list(kg.store.quads(ex("x"))) == []
    assert audit_records(kg) == []


def test_an_accepted_update_is_audited_in_the_same_transaction(kg: KnowledgeGraph) -> None:
    text = PREFIX + "INSERT DATA { GRAPH ex:notes { ex:n1 ex:says 'hello' } }"
    commit = apply_update(kg, text, actor="analyst-7")
    assert len(commit.change.added) == 1
    rows = kg.query(
        f"""PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX aicap: <{AICAP}>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?name ?added ?removed ?graph ?op ?hash ?when
        FROM NAMED <{AUDIT_GRAPH}> WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?w a aicap:Write ; prov:wasAssociatedWith/rdfs:label ?name ;
             aicap:quadsAdded ?added ; aicap:quadsRemoved ?removed ; aicap:changedGraph ?graph ;
             aicap:writeOperation ?op ; aicap:requestSha256 ?hash ; prov:endedAtTime ?when }} }}"""
    )
    assert isinstance(rows, ox.QuerySolutions)
    (row,) = list(rows)
    assert row["name"] == ox.Literal("analyst-7")
    assert (row["added"].value, row["removed"].value) == ("1", "0")
    assert row["graph"] == ex("notes")
    assert row["op"] == ox.Literal("update")
    assert row["hash"].value == hashlib.sha256(text.encode()).hexdigest()


def test_a_failing_later_operation_leaves_the_earlier_ones_unwritten(kg: KnowledgeGraph) -> None:
    before = kg.triple_count()
    with pytest.raises(UnknownResource):
        apply_update(
            kg,
            PREFIX + "INSERT DATA { GRAPH ex:g { ex:first ex:p 1 } } ; DROP GRAPH ex:absent",
            actor="tester",
        )
    assert kg.triple_count() == before
    assert list(kg.store.quads(ex("first"))) == []


def test_no_scratch_copy_is_left_in_the_data_directory(kg: KnowledgeGraph) -> None:
    apply_update(
        kg,
        PREFIX
        + "INSERT DATA { GRAPH ex:t { ex:a ex:p 1 } } ; DELETE WHERE { GRAPH ex:t { ?s ?p ?o } }",
        actor="tester",
    )
    assert not list(kg.settings.data_dir.glob("update-*"))


def test_a_stored_blank_node_cannot_be_removed_silently(tmp_path: Path) -> None:
    store = EmbeddedStore(None)
    store.bulk_add([ox.Quad(ox.BlankNode("old"), ex("p"), ex("o"), G)])  # a pre-skolem store
    with pytest.raises(KgError, match="blank node"):
        store.apply_change(change_of(store, "DELETE WHERE { GRAPH ex:g { ?s ?p ?o } }", tmp_path))
    assert store.count() == 1


_INT = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def test_the_same_obligation_with_a_positive_amount_is_written(kg: KnowledgeGraph) -> None:
    apply_update(kg, obligation_update("positive", "123000000.0"), actor="tester")
    written = ox.NamedNode("https://w3id.org/aicap/id/obligation/test-positive")
    assert len(list(kg.store.quads(written))) == 6


def test_a_graph_named_by_a_blank_node_in_quad_data_is_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError, match="named by an IRI"):
        parse_update(PREFIX + "INSERT DATA { GRAPH _:g { ex:a ex:p 1 } }")


# --- LOAD of an allowed URL -------------------------------------------------------------------


@pytest.fixture
def rdf_server() -> Iterator[str]:
    """A loopback HTTP server: /data.ttl is one Turtle triple; anything else is 404."""
    body = b"<http://example.org/x> <http://example.org/p> 42 .\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/data.ttl":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/turtle")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_load_of_an_allowed_url_adds_its_triples_into_the_graph(
    store: EmbeddedStore, tmp_path: Path, rdf_server: str
) -> None:
    url = f"{rdf_server}/data.ttl"
    parsed = parse_update(f"LOAD <{url}> INTO GRAPH <{EX}g2>", allowed_urls=[url])
    with Workspace(store, tmp_path) as workspace:
        change = update_change(parsed, workspace, UpdateDataset(), BASE_IRI)
    assert change.added == [q("x", "p", 42, ex("g2"))]
    assert change.removed == []


def test_load_of_a_url_that_is_not_allowed_is_forbidden(rdf_server: str) -> None:
    with pytest.raises(Forbidden):
        parse_update(f"LOAD <{rdf_server}/data.ttl>", allowed_urls=[f"{rdf_server}/other.ttl"])


def test_load_that_fails_is_an_error_unless_silent(rdf_server: str) -> None:
    url = f"{rdf_server}/missing.ttl"
    with pytest.raises(BadInput, match=r"missing\.ttl"):
        parse_update(f"LOAD <{url}>", allowed_urls=[url])
    assert parse_update(f"LOAD SILENT <{url}>", allowed_urls=[url]).operations[0].data == ()
