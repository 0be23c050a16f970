"""`/graph-store`: the SPARQL 1.1 Graph Store HTTP Protocol, statuses and the graph after.

Every write test asserts the status and the graph afterwards: the quad count and a
specific quad.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
import pytest
import rdflib
from flask.testing import FlaskClient
from pyld import jsonld
from rdflib.compare import isomorphic
from werkzeug.test import TestResponse

from kg.graph import KnowledgeGraph
from kg.namespaces import AUDIT_GRAPH
from kg.rdf.formats import RDF_SYNTAXES, RdfSyntax
from kg.store.skolem import SKOLEM_PATH

if TYPE_CHECKING:  # the fixture lives in tests/server/conftest.py
    from conftest import Listener

EX = "http://example.org/gsp-tests/"
TURTLE = "text/turtle"
DATA = Path(__file__).parent.parent / "data"
P = ox.NamedNode(EX + "p")
RDFLIB_FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}
"""Each syntax of the route by rdflib's name for its parser: a reader other than ours."""


def fresh_graph() -> str:
    """A graph IRI no other test uses."""
    return f"{EX}graph/{uuid.uuid4()}"


def triple(subject: str, value: int) -> str:
    return f"<{EX}{subject}> <{EX}p> {value} .\n"


def data_count(kg: KnowledgeGraph) -> int:
    """Quads outside the audit graph (each accepted write adds its record there)."""
    return kg.triple_count() - len(list(kg.store.quads(graph=ox.NamedNode(str(AUDIT_GRAPH)))))


def quads(kg: KnowledgeGraph, graph: str) -> list[ox.Quad]:
    return list(kg.store.quads(graph=ox.NamedNode(graph)))


def values(kg: KnowledgeGraph, graph: str) -> set[tuple[str, str]]:
    """(subject, object) of each quad of the graph, local names only."""
    return {(q.subject.value.removeprefix(EX), q.object.value) for q in quads(kg, graph)}


def put(
    client: FlaskClient, graph: str, body: str, headers: dict[str, str], ctype: str = TURTLE
) -> TestResponse:
    """PUT a body; Turtle gets a comment naming the graph, so that it has bytes of its own.

    The service refuses the bytes of an earlier load written to a second graph (409), and
    these tests put the same few triples into many fresh graphs of one store.
    """
    if ctype == TURTLE:
        body += f"# for {graph}\n"
    return client.put(
        "/graph-store",
        query_string={"graph": graph},
        data=body.encode(),
        content_type=ctype,
        headers=headers,
    )


# --- PUT, POST, DELETE, GET -----------------------------------------------------------------


def test_put_of_a_new_graph_is_201_then_put_again_is_204_and_replaces_it(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    first = put(write_client, graph, triple("a", 1) + triple("b", 2), write_headers)
    assert first.status_code == 201
    assert values(write_kg, graph) == {("a", "1"), ("b", "2")}

    second = put(write_client, graph, triple("a", 1) + triple("c", 3), write_headers)
    assert second.status_code == 204
    assert values(write_kg, graph) == {("a", "1"), ("c", "3")}


def test_post_merges_into_the_graph_201_when_new_204_after(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    params = {"graph": graph}
    first = write_client.post(
        "/graph-store",
        query_string=params,
        data=triple("a", 1),
        content_type=TURTLE,
        headers=write_headers,
    )
    assert first.status_code == 201
    second = write_client.post(
        "/graph-store",
        query_string=params,
        data=triple("b", 2),
        content_type=TURTLE,
        headers=write_headers,
    )
    assert second.status_code == 204
    assert values(write_kg, graph) == {("a", "1"), ("b", "2")}


def test_delete_is_204_then_get_is_404_and_delete_again_is_404(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1), write_headers)
    before = data_count(write_kg)

    response = write_client.delete(
        "/graph-store", query_string={"graph": graph}, headers=write_headers
    )
    assert response.status_code == 204
    assert quads(write_kg, graph) == []
    assert ox.NamedNode(graph) not in write_kg.store.graphs()
    assert data_count(write_kg) == before - 1

    assert write_client.get("/graph-store", query_string={"graph": graph}).status_code == 404
    again = write_client.delete(
        "/graph-store", query_string={"graph": graph}, headers=write_headers
    )
    assert again.status_code == 404


def test_put_of_an_empty_body_creates_an_empty_graph(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    assert put(write_client, graph, "", write_headers).status_code == 201
    assert ox.NamedNode(graph) in write_kg.store.graphs()
    assert quads(write_kg, graph) == []
    response = write_client.get("/graph-store", query_string={"graph": graph})
    assert response.status_code == 200


@pytest.mark.parametrize("syntax", RDF_SYNTAXES, ids=lambda s: s.name)
def test_get_answers_the_graph_in_each_syntax(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    syntax: RdfSyntax,
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1) + triple("b", 2), write_headers)
    response = write_client.get(
        "/graph-store", query_string={"graph": graph}, headers={"Accept": syntax.media_type}
    )
    assert response.status_code == 200
    assert response.mimetype == syntax.media_type
    assert response.headers["Vary"] == "Accept"
    parsed = {
        (q.subject.value, q.object.value) for q in ox.parse(response.data, format=syntax.ox_format)
    }
    assert parsed == {(EX + "a", "1"), (EX + "b", "2")}
    assert len(quads(write_kg, graph)) == 2


BLANK_BODY = f"<{EX}a> <{EX}p> [ <{EX}q> 1 ; <{EX}r> [ <{EX}q> 2 ] ] .\n"
"""A graph with two blank nodes, one inside the other."""


@pytest.mark.parametrize("syntax", RDF_SYNTAXES, ids=lambda s: s.name)
def test_a_blank_node_put_comes_back_as_a_blank_node_in_each_syntax(
    write_client: FlaskClient, write_headers: dict[str, str], syntax: RdfSyntax
) -> None:
    graph = fresh_graph()
    put(write_client, graph, BLANK_BODY, write_headers)

    response = write_client.get(
        "/graph-store", query_string={"graph": graph}, headers={"Accept": syntax.media_type}
    )

    sent = rdflib.Graph().parse(data=BLANK_BODY, format="turtle")
    got = rdflib.Dataset().parse(data=response.data, format=RDFLIB_FORMATS[syntax.name])
    triples = rdflib.Graph()
    for s, p, o, _g in got.quads():
        triples.add((s, p, o))
    assert SKOLEM_PATH not in response.text
    assert isomorphic(triples, sent), response.text


def test_json_ld_of_a_graph_reads_back_with_pyld_as_the_same_triples(
    write_client: FlaskClient, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, BLANK_BODY, write_headers)

    response = write_client.get(
        "/graph-store", query_string={"graph": graph}, headers={"Accept": "application/ld+json"}
    )

    nquads = jsonld.to_rdf(json.loads(response.data), {"format": "application/n-quads"})
    read = rdflib.Graph().parse(data=nquads, format="nt")
    assert isomorphic(read, rdflib.Graph().parse(data=BLANK_BODY, format="turtle"))


def test_skolem_true_gives_the_stored_skolem_iris_a_later_write_may_name(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, BLANK_BODY, write_headers)

    response = write_client.get(
        "/graph-store",
        query_string={"graph": graph, "skolem": "true"},
        headers={"Accept": "application/n-triples"},
    )

    stored = {q.triple for q in quads(write_kg, graph)}
    read = {q.triple for q in ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES)}
    assert read == stored
    assert SKOLEM_PATH in response.text
    bad = write_client.get("/graph-store", query_string={"graph": graph, "skolem": "maybe"})
    assert bad.status_code == 400 and "skolem=true" in bad.text


@pytest.mark.parametrize("accept", [None, "*/*", "text/turtle", "application/ld+json"])
def test_head_answers_what_get_answers_without_a_body(
    write_client: FlaskClient, write_headers: dict[str, str], accept: str | None
) -> None:
    graph = fresh_graph()
    put(write_client, graph, BLANK_BODY, write_headers)
    headers = {} if accept is None else {"Accept": accept}

    got = write_client.get("/graph-store", query_string={"graph": graph}, headers=headers)
    head = write_client.head("/graph-store", query_string={"graph": graph}, headers=headers)

    assert (head.status_code, head.headers["Content-Type"]) == (200, got.headers["Content-Type"])
    assert head.data == b""


def test_get_without_accept_is_turtle_and_unknown_accept_is_406(
    write_client: FlaskClient, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1), write_headers)
    assert write_client.get("/graph-store", query_string={"graph": graph}).mimetype == TURTLE
    refused = write_client.get(
        "/graph-store", query_string={"graph": graph}, headers={"Accept": "image/png"}
    )
    assert refused.status_code == 406
    assert "text/turtle" in refused.text


def test_head_has_the_get_headers_and_no_body(
    write_client: FlaskClient, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1), write_headers)
    got = write_client.get("/graph-store", query_string={"graph": graph})
    head = write_client.head("/graph-store", query_string={"graph": graph})
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Type"] == got.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(got.data))
    assert (
        write_client.head("/graph-store", query_string={"graph": fresh_graph()}).status_code == 404
    )


def test_get_of_an_unknown_graph_is_404(write_client: FlaskClient) -> None:
    graph = fresh_graph()
    response = write_client.get("/graph-store", query_string={"graph": graph})
    assert response.status_code == 404
    assert graph in response.text


def test_post_to_the_store_itself_creates_a_new_graph_with_its_location(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    response = write_client.post(
        "/graph-store", data=triple("created", 9), content_type=TURTLE, headers=write_headers
    )
    assert response.status_code == 201
    location = response.headers["Location"]
    assert values(write_kg, location) == {("created", "9")}
    again = write_client.get("/graph-store", query_string={"graph": location})
    assert again.status_code == 200


def test_the_default_graph_is_the_store_default_graph(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    default = ox.DefaultGraph()
    response = write_client.put(
        "/graph-store?default",
        data=triple("in-default", 4),
        content_type=TURTLE,
        headers=write_headers,
    )
    assert response.status_code == 204, "the default graph always exists"
    assert [q.subject for q in write_kg.store.quads(graph=default)] == [
        ox.NamedNode(EX + "in-default")
    ]
    got = write_client.get("/graph-store?default", headers={"Accept": "application/n-triples"})
    assert (
        got.data.decode().strip()
        == f'<{EX}in-default> <{EX}p> "4"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    )

    cleared = write_client.delete("/graph-store?default", headers=write_headers)
    assert cleared.status_code == 204
    assert list(write_kg.store.quads(graph=default)) == []
    assert write_client.get("/graph-store?default").status_code == 200


def test_a_blank_node_put_can_be_replaced_by_the_next_put(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    body = f"<{EX}a> <{EX}p> [ <{EX}q> 1 ] .\n"
    assert put(write_client, graph, body, write_headers).status_code == 201
    skolem = [q.object for q in quads(write_kg, graph) if q.predicate == P]
    assert isinstance(skolem[0], ox.NamedNode) and SKOLEM_PATH in skolem[0].value

    assert put(write_client, graph, triple("b", 2), write_headers).status_code == 204
    assert values(write_kg, graph) == {("b", "2")}
    assert list(write_kg.store.quads(skolem[0])) == []


def test_graph_store_writes_are_audited(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1) + triple("b", 2), write_headers)
    query = f"""PREFIX aicap: <https://w3id.org/aicap/ontology#>
        SELECT ?op ?added FROM NAMED <{AUDIT_GRAPH}> WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?w aicap:changedGraph <{graph}> ; aicap:writeOperation ?op ; aicap:quadsAdded ?added
        }} }}"""
    rows = write_client.get("/sparql", query_string={"query": query}).json["results"]["bindings"]
    assert [(r["op"]["value"], r["added"]["value"]) for r in rows] == [("graph-store PUT", "2")]


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query_string",
    [
        "default&graph=http://example.org/g",
        "",
        "graph=not-an-iri",
        "graph=http://example.org/a&graph=http://example.org/b",
    ],
    ids=["both", "neither", "not-an-iri", "two-graphs"],
)
def test_bad_graph_parameters_are_400_and_graph_unchanged(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    query_string: str,
) -> None:
    before = write_kg.triple_count()
    response = write_client.put(
        "/graph-store?" + query_string,
        data=triple("bad", 1),
        content_type=TURTLE,
        headers=write_headers,
    )
    assert response.status_code == 400
    assert "graph" in response.text
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(ox.NamedNode(EX + "bad"))) == []
    if query_string:
        assert write_client.get("/graph-store?" + query_string).status_code == 400


@pytest.mark.parametrize("ctype", ["text/plain", "application/octet-stream", None])
def test_unknown_content_type_is_415_listing_the_accepted_ones(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    ctype: str | None,
) -> None:
    graph = fresh_graph()
    before = write_kg.triple_count()
    response = write_client.put(
        "/graph-store",
        query_string={"graph": graph},
        data=triple("a", 1),
        headers=write_headers,
        **({"content_type": ctype} if ctype else {}),
    )
    assert response.status_code == 415
    assert "text/turtle" in response.text and "application/rdf+xml" in response.text
    assert write_kg.triple_count() == before
    assert quads(write_kg, graph) == []


def test_malformed_turtle_is_400_with_line_and_column_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("kept", 1), write_headers)
    before = write_kg.triple_count()
    body = triple("a", 1) + f"<{EX}b> <{EX}p> 'unterminated .\n"
    response = put(write_client, graph, body, write_headers)
    assert response.status_code == 400
    column = body.splitlines()[1].index("'") + 1  # the string left open
    assert f"line 2, column {column}:" in response.text
    shown, caret = response.text.splitlines()[1:3]
    assert shown == f"  2 | <{EX}b> <{EX}p> 'unterminated ."
    assert caret == "    | " + " " * (column - 1) + "^"
    assert write_kg.triple_count() == before
    assert values(write_kg, graph) == {("kept", "1")}


XXE = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY leak SYSTEM "{url}"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/gsp-tests/">
  <rdf:Description rdf:about="http://example.org/gsp-tests/xxe"><ex:p>&leak;</ex:p></rdf:Description>
</rdf:RDF>"""


@pytest.mark.parametrize("target", ["http", "file"])
def test_an_xxe_body_is_400_nothing_fetched_and_graph_unchanged(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    target: str,
    listener: Listener,
) -> None:
    graph = fresh_graph()
    before = write_kg.triple_count()
    with listener() as sock:
        url = (
            f"http://127.0.0.1:{sock.getsockname()[1]}/x"
            if target == "http"
            else "file:///etc/passwd"
        )
        response = put(
            write_client, graph, XXE.format(url=url), write_headers, "application/rdf+xml"
        )
        assert response.status_code == 400
        with pytest.raises(TimeoutError):
            sock.accept()
    assert "entit" in response.text
    assert write_kg.triple_count() == before
    assert list(write_kg.store.quads(ox.NamedNode(EX + "xxe"))) == []


def test_a_json_ld_remote_context_is_400_nothing_fetched_and_graph_unchanged(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    write_headers: dict[str, str],
    listener: Listener,
) -> None:
    graph = fresh_graph()
    before = write_kg.triple_count()
    with listener() as sock:
        context = f"http://127.0.0.1:{sock.getsockname()[1]}/context.jsonld"
        body = json.dumps({"@context": context, "@id": EX + "remote", "p": 1})
        response = put(write_client, graph, body, write_headers, "application/ld+json")
        assert response.status_code == 400
        with pytest.raises(TimeoutError):
            sock.accept()
    assert "context" in response.text
    assert write_kg.triple_count() == before
    assert quads(write_kg, graph) == []


def test_a_body_naming_another_graph_is_400_and_graph_unchanged(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    before = write_kg.triple_count()
    body = f"<{EX}other> {{ {triple('a', 1)} }}"
    response = put(write_client, graph, body, write_headers, "application/trig")
    assert response.status_code == 400
    assert EX + "other" in response.text
    assert write_kg.triple_count() == before
    assert quads(write_kg, graph) == []


def obligation(name: str, amount: str) -> str:
    text = (DATA / "new-obligation.ttl").read_text()
    return text.replace("OBLIGATION", name).replace("AMOUNT", amount)


def test_a_put_breaking_a_shape_is_422_with_the_report_and_nothing_written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    before = write_kg.triple_count()
    response = put(write_client, graph, obligation("gsp-negative", "-3.0"), write_headers)
    assert response.status_code == 422
    components = {r["sourceConstraintComponent"] for r in response.json["results"]}
    assert components == {"sh:MinExclusiveConstraintComponent"}
    assert write_kg.triple_count() == before
    assert quads(write_kg, graph) == []
    assert ox.NamedNode(graph) not in write_kg.store.graphs()


def test_a_delete_that_breaks_a_shape_is_422_and_the_graph_stays(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    # The obligation's type in one graph, its agreement in another: deleting the second
    # leaves an obligation that rests on nothing (shape:Obligation-restsOn).
    typed, facts = fresh_graph(), fresh_graph()
    whole = obligation("split", "7.0")
    prefixes = "\n".join(line for line in whole.splitlines() if line.startswith("PREFIX"))
    iri = "<https://w3id.org/aicap/id/obligation/test-split>"
    rests_on = f"{prefixes}\n{iri} aicap:restsOn agr:oracle-openai .\n"
    assert put(write_client, facts, whole, write_headers).status_code == 201
    assert put(write_client, typed, rests_on, write_headers).status_code == 201
    without = whole.replace("    aicap:restsOn agr:oracle-openai ;\n", "")
    assert put(write_client, facts, without, write_headers).status_code == 204
    before = write_kg.triple_count()

    response = write_client.delete(
        "/graph-store", query_string={"graph": typed}, headers=write_headers
    )

    assert response.status_code == 422
    assert "sh:MinCountConstraintComponent" in response.text
    assert write_kg.triple_count() == before
    assert len(quads(write_kg, typed)) == 1


@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_writes_without_the_token_are_401_and_on_a_read_only_service_403(
    write_client: FlaskClient,
    write_kg: KnowledgeGraph,
    client: FlaskClient,
    kg: KnowledgeGraph,
    method: str,
) -> None:
    graph = fresh_graph()
    before, read_only_before = write_kg.triple_count(), kg.triple_count()
    kwargs = {"query_string": {"graph": graph}, "data": triple("a", 1), "content_type": TURTLE}
    unauthorized = getattr(write_client, method)("/graph-store", **kwargs)
    assert unauthorized.status_code == 401
    assert unauthorized.headers["WWW-Authenticate"] == "Bearer"
    wrong = getattr(write_client, method)(
        "/graph-store", headers={"Authorization": "Bearer nope"}, **kwargs
    )
    assert wrong.status_code == 401
    read_only = getattr(client, method)(
        "/graph-store", headers={"Authorization": "Bearer nope"}, **kwargs
    )
    assert read_only.status_code == 403
    assert (write_kg.triple_count(), kg.triple_count()) == (before, read_only_before)
    assert quads(write_kg, graph) == quads(kg, graph) == []


def no_op_writes(kg: KnowledgeGraph) -> int:
    """How many audit records say that a write added and removed nothing."""
    query = f"""PREFIX aicap: <https://w3id.org/aicap/ontology#>
        SELECT (COUNT(*) AS ?n) FROM NAMED <{AUDIT_GRAPH}> WHERE {{ GRAPH <{AUDIT_GRAPH}> {{
          ?w aicap:quadsAdded 0 ; aicap:quadsRemoved 0 }} }}"""
    result = kg.query(query)
    assert isinstance(result, ox.QuerySolutions)
    return int(next(iter(result))["n"].value)


def test_putting_the_same_graph_again_changes_nothing(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    body = f"<{EX}a> <{EX}amount> 1.0 .\n"  # stored canonically, as "1"^^xsd:decimal
    put(write_client, graph, body, write_headers)
    before, no_ops = data_count(write_kg), no_op_writes(write_kg)
    assert put(write_client, graph, body, write_headers).status_code == 204
    assert data_count(write_kg) == before
    assert len(quads(write_kg, graph)) == 1
    assert no_op_writes(write_kg) == no_ops + 1


# --- what other clients send: Accept parameters, multipart bodies --------------------------


@pytest.mark.parametrize("accept", ["text/turtle; charset=utf-8", "text/turtle;charset=UTF-8"])
def test_an_accept_with_a_charset_gets_the_type_it_names(
    write_client: FlaskClient, write_headers: dict[str, str], accept: str
) -> None:
    graph = fresh_graph()
    put(write_client, graph, triple("a", 1), write_headers)
    for method in (write_client.get, write_client.head):
        response = method("/graph-store", query_string={"graph": graph}, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.mimetype == "text/turtle"
    missing = write_client.head(
        "/graph-store", query_string={"graph": fresh_graph()}, headers={"Accept": accept}
    )
    assert missing.status_code == 404


def test_a_multipart_post_adds_every_part_each_with_its_own_blank_nodes(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    parts = {
        "one": (io.BytesIO(f"_:x <{EX}p> 1 .\n".encode()), "one.ttl", TURTLE),
        "two": (io.BytesIO(f"_:x <{EX}p> \"2\" .\n".encode()), "two.nt", "application/n-triples"),
    }
    response = write_client.post(
        "/graph-store",
        query_string={"graph": graph},
        data=parts,
        content_type="multipart/form-data",
        headers=write_headers,
    )
    assert response.status_code == 201, response.text
    assert "Content-Type" not in response.headers  # no body, so no type
    stored = quads(write_kg, graph)
    assert sorted(q.object.value for q in stored) == ["1", "2"]
    assert len({q.subject for q in stored}) == 2  # _:x of each document is its own node


def test_a_multipart_part_that_does_not_parse_is_named_and_nothing_is_written(
    write_client: FlaskClient, write_kg: KnowledgeGraph, write_headers: dict[str, str]
) -> None:
    graph = fresh_graph()
    parts = {
        "good": (io.BytesIO(triple("a", 1).encode()), "good.ttl", TURTLE),
        "bad": (io.BytesIO(b"<a> <b> ."), "bad.ttl", TURTLE),
    }
    response = write_client.post(
        "/graph-store",
        query_string={"graph": graph},
        data=parts,
        content_type="multipart/form-data",
        headers=write_headers,
    )
    assert response.status_code == 400
    assert "part 'bad'" in response.text
    assert not write_kg.store.contains_graph(ox.NamedNode(graph))
