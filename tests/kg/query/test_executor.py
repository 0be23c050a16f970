"""The query executor with real worker processes over a small store on disk: results equal
the in-process ones, the time limit stops the query and frees the core, rows are cut and
said to be, reads see whole writes, and a query that crashes the engine is a clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import (
    BadInput,
    BadParameter,
    Overloaded,
    QuerySyntaxError,
    QueryTimeout,
    UnsafeQuery,
    UnsupportedFormat,
)
from kg.query.executor import QueryExecutor, QueryRequest
from kg.query.workers import QueryResponse, serialize_result
from kg.rdf.formats import RDF_SYNTAXES, RESULTS_FORMATS, RdfSyntax, ResultsFormat
from kg.store.datasets import query_dataset
from kg.store.default_graph import with_merge

EX = "http://example.org/"
SMALL = ox.NamedNode(EX + "g/small")
MEDIUM = ox.NamedNode(EX + "g/medium")
FILLER = ox.NamedNode(EX + "g/filler")
MEDIUM_SIZE = 200
"""Triples in the graph whose three-way cross product takes a second or two to count."""

FOREVER = "SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
"""A count over the cube of ~1,200 triples: about 1.7e9 combinations, minutes of one core,
in constant memory."""

SLOW_COUNT = f"""SELECT (COUNT(*) AS ?n) {{ GRAPH <{MEDIUM.value}> {{
    ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }} }}"""
"""About 8 million combinations: a second or two, then an answer that counts the graph."""

CRASHING = "SELECT * { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }"
"""Nesting that overflows pyoxigraph's parser stack: the process dies with SIGSEGV."""


def small_quads() -> list[ox.Quad]:
    """A few terms of every kind a serializer treats differently."""
    s, b = ox.NamedNode(EX + "s"), ox.BlankNode("b1")
    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects: list[ox.NamedNode | ox.BlankNode | ox.Literal] = [
        ox.NamedNode(EX + "o"),
        b,
        ox.Literal("plain"),
        ox.Literal('line\nbreak\ttab "quoted" , comma'),
        ox.Literal("chat", language="fr"),
        ox.Literal("42", datatype=ox.NamedNode(xsd + "integer")),
        ox.Literal("4.2", datatype=ox.NamedNode(xsd + "decimal")),
        ox.Literal("not a number", datatype=ox.NamedNode(xsd + "integer")),
        ox.Literal("2025-10-06", datatype=ox.NamedNode(xsd + "date")),
    ]
    quads = [ox.Quad(s, ox.NamedNode(f"{EX}p{i}"), o, SMALL) for i, o in enumerate(objects)]
    quads.append(ox.Quad(b, ox.NamedNode(EX + "p"), ox.Literal("from a blank node"), SMALL))
    return quads


def generated_quads(graph: ox.NamedNode, count: int) -> list[ox.Quad]:
    return [
        ox.Quad(ox.NamedNode(f"{graph.value}/{i}"), ox.NamedNode(EX + "n"), ox.Literal(i), graph)
        for i in range(count)
    ]


def open_store(path: Path) -> ox.Store:
    """A pyoxigraph store laid out as `EmbeddedStore` keeps one (which refuses blank nodes)."""
    path.mkdir(parents=True)
    store = ox.Store(str(path))
    store.extend(with_merge(small_quads()))
    store.extend(with_merge(generated_quads(MEDIUM, MEDIUM_SIZE)))
    store.extend(with_merge(generated_quads(FILLER, 1_000)))
    return store


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The primary store the module's read-only tests share."""
    return open_store(tmp_path_factory.mktemp("primary") / "store")


@pytest.fixture(scope="module")
def executor(
    primary: ox.Store, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[QueryExecutor]:
    """Two workers, a 1 s limit, and a row cap above every result of the shared tests."""
    with QueryExecutor(
        tmp_path_factory.mktemp("data"),
        primary=primary,
        workers=2,
        timeout_s=1.0,
        max_result_rows=100_000,
    ) as executor:
        yield executor


def in_process(
    store: ox.Store, sparql: str
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    target, options = query_dataset(store, {"use_default_graph_as_union": True})
    return target.query(sparql, **options)


SELECT = f"SELECT ?s ?p ?o {{ GRAPH <{SMALL.value}> {{ ?s ?p ?o }} }} ORDER BY ?p"
ASK = f"ASK {{ GRAPH <{SMALL.value}> {{ ?s ?p 42 }} }}"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{SMALL.value}> {{ ?s ?p ?o }} }}"


@pytest.mark.parametrize("fmt", RESULTS_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("sparql", [SELECT, ASK], ids=["select", "ask"])
def test_solutions_and_booleans_equal_the_in_process_serialization(
    executor: QueryExecutor, primary: ox.Store, sparql: str, fmt: ResultsFormat
) -> None:
    response = executor.run(QueryRequest(sparql, result_format=fmt.name))
    result = in_process(primary, sparql)
    assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
    assert response.body == result.serialize(format=fmt.ox_format)
    assert response.media_type == fmt.media_type
    assert not response.truncated


@pytest.mark.parametrize("syntax", RDF_SYNTAXES, ids=lambda s: s.name)
def test_graphs_equal_the_in_process_serialization(
    executor: QueryExecutor, primary: ox.Store, syntax: RdfSyntax
) -> None:
    response = executor.run(QueryRequest(CONSTRUCT, graph_format=syntax.name))
    result = in_process(primary, CONSTRUCT)
    assert isinstance(result, ox.QueryTriples)
    assert response.body == result.serialize(format=syntax.ox_format)
    assert response.media_type == syntax.media_type
    assert (response.kind, response.rows, response.truncated) == (
        "graph",
        len(small_quads()),
        False,
    )


def test_dataset_and_substitutions_reach_the_engine(executor: QueryExecutor) -> None:
    request = QueryRequest(
        "SELECT ?s ?o { ?s ?p ?o }",
        default_graphs=[SMALL.value],
        substitutions={"s": "_:b1"},
        result_format="tsv",
    )
    assert executor.run(request).body == b'?s\t?o\n_:b1\t"from a blank node"\n'
    strict = QueryRequest("ASK { ?s ?p ?o }", union_default_graph=False)
    assert json.loads(executor.run(strict).body)["boolean"] is False


def test_unknown_format_name_is_refused_when_the_request_is_made() -> None:
    with pytest.raises(UnsupportedFormat, match="accepted: json, xml, csv, tsv"):
        QueryRequest("ASK {}", result_format="yaml")
    with pytest.raises(UnsupportedFormat, match="accepted: turtle"):
        QueryRequest("ASK {}", graph_format="n3")


@pytest.mark.parametrize(
    "request_",
    [
        QueryRequest("ASK {}", default_graphs=["not an iri"]),
        QueryRequest("ASK {}", substitutions={"s": "<a> . <b> <c> <d>"}),
        QueryRequest("ASK {}", substitutions={"not a name": "<http://a>"}),
    ],
    ids=["graph", "term", "variable"],
)
def test_ill_formed_dataset_or_substitution_is_bad_parameter(
    executor: QueryExecutor, request_: QueryRequest
) -> None:
    with pytest.raises(BadParameter):
        executor.run(request_)


def test_syntax_error_names_the_position_and_shows_the_line(executor: QueryExecutor) -> None:
    with pytest.raises(QuerySyntaxError, match=r"line 1, column \d+") as raised:
        executor.run(QueryRequest("SELECT * WHERE { ?s ?p }"))

    assert "  1 | SELECT * WHERE { ?s ?p }\n" in raised.value.message
    assert "^" in raised.value.message


def test_query_past_the_limit_is_stopped_within_half_a_second_and_frees_the_core(
    executor: QueryExecutor,
) -> None:
    wait_until_whole(executor)
    before = set(executor.worker_pids())
    concurrent: list[QueryResponse] = []

    def fast_query_meanwhile() -> None:
        time.sleep(0.3)  # well inside the slow query's second
        concurrent.append(executor.run(QueryRequest(ASK)))

    helper = threading.Thread(target=fast_query_meanwhile)
    helper.start()
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"time limit of 1 s \(AICAP_QUERY_TIMEOUT_S\)"):
        executor.run(QueryRequest(FOREVER))
    elapsed = time.monotonic() - started
    helper.join()

    assert 1.0 <= elapsed < 1.5
    assert [json.loads(r.body)["boolean"] for r in concurrent] == [True]
    (killed,) = before - set(executor.worker_pids())
    assert not alive(killed)
    wait_until_whole(executor)
    assert cpu_seconds_of_descendants(over_s=1.0) < 0.2


def test_query_that_crashes_the_engine_is_a_clear_error_and_the_next_query_works(
    executor: QueryExecutor,
) -> None:
    wait_until_whole(executor)
    before = set(executor.worker_pids())
    with pytest.raises(UnsafeQuery, match="could not be evaluated safely") as raised:
        executor.run(QueryRequest(CRASHING))
    assert isinstance(raised.value, BadInput)
    (crashed,) = before - set(executor.worker_pids())
    assert not alive(crashed)
    assert json.loads(executor.run(QueryRequest(ASK)).body)["boolean"] is True


def test_every_worker_busy_past_the_queue_wait_is_overloaded(
    primary: ox.Store, tmp_path: Path
) -> None:
    with QueryExecutor(
        tmp_path, primary=primary, workers=1, timeout_s=1.0, max_result_rows=10, queue_wait_s=0.2
    ) as executor:
        slow = threading.Thread(target=run_expecting_timeout, args=(executor, FOREVER))
        slow.start()
        time.sleep(0.2)  # the slow query holds the only worker
        started = time.monotonic()
        with pytest.raises(Overloaded, match=r"all 1 query workers stayed busy for 0\.2 s"):
            executor.run(QueryRequest(ASK))
        assert time.monotonic() - started < 0.5
        slow.join()
        assert executor.run(QueryRequest(ASK)).kind == "boolean"


def test_workers_go_to_waiting_queries_first_come_first_served(executor: QueryExecutor) -> None:
    # Two clients that query without pause keep both workers busy; a third must still get
    # its turn within the queue wait, not starve behind them until it is refused.
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            executor.run(QueryRequest(ASK))

    hammers = [threading.Thread(target=hammer) for _ in range(2)]
    for thread in hammers:
        thread.start()
    try:
        waits = []
        for _ in range(20):
            started = time.monotonic()
            executor.run(QueryRequest(ASK))
            waits.append(time.monotonic() - started)
    finally:
        stop.set()
        for thread in hammers:
            thread.join()
    assert max(waits) < 0.5, waits


@pytest.mark.parametrize("name", [f.name for f in RESULTS_FORMATS])
def test_solutions_past_max_rows_are_cut_and_said_to_be(
    primary: ox.Store, tmp_path: Path, name: str
) -> None:
    sparql = f"SELECT ?i {{ GRAPH <{FILLER.value}> {{ ?s ?p ?i }} }} ORDER BY ?i"
    with QueryExecutor(
        tmp_path, primary=primary, workers=1, timeout_s=10.0, max_result_rows=10
    ) as executor:
        cut = executor.run(QueryRequest(sparql, result_format=name))
        whole = executor.run(QueryRequest(sparql + " LIMIT 10", result_format=name))
    assert (cut.truncated, cut.rows, whole.truncated, whole.rows) == (True, 10, False, 10)
    if name == "json":
        document = json.loads(cut.body)
        assert document["truncated"] is True
        assert [int(b["i"]["value"]) for b in document["results"]["bindings"]] == list(range(10))
        assert json.loads(whole.body).keys() == {"head", "results"}
    else:
        assert cut.body == whole.body


def test_triples_past_max_rows_are_cut_and_said_to_be(primary: ox.Store, tmp_path: Path) -> None:
    with QueryExecutor(
        tmp_path, primary=primary, workers=1, timeout_s=10.0, max_result_rows=10
    ) as executor:
        response = executor.run(
            QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", graph_format="ntriples")
        )
    assert (response.truncated, response.rows) == (True, 10)
    assert len(list(ox.parse(response.body, format=ox.RdfFormat.N_TRIPLES))) == 10


@pytest.mark.parametrize("rows", [0, 1, 9, 10, 11, 5_000])
def test_cut_keeps_exactly_the_first_rows(rows: int) -> None:
    store = ox.Store()
    store.extend(generated_quads(FILLER, rows))
    result = store.query("SELECT ?i { GRAPH ?g { ?s ?p ?i } } ORDER BY ?i")
    response = serialize_result(result, "json", "turtle", 10)
    kept = min(rows, 10)
    bindings = json.loads(response.body)["results"]["bindings"]
    assert [int(b["i"]["value"]) for b in bindings] == list(range(kept))
    assert (response.rows, response.truncated) == (kept, rows > 10)


@pytest.mark.parametrize("sparql", ["SELECT * {}", "SELECT * { FILTER(false) }"])
def test_solutions_without_variables_survive_the_tsv_route(sparql: str) -> None:
    store = ox.Store()
    response = serialize_result(store.query(sparql), "json", "turtle", 10)
    assert response.body == store.query(sparql).serialize(format=ox.QueryResultsFormat.JSON)


GENID = "https://example.org/base/.well-known/genid/"
SKOLEM_DATA = f"""
    <{GENID}a1> <{EX}p> <{GENID}b2> .
    <{GENID}b2> <{EX}p> "<{GENID}a1>" .
    <{GENID}b2> <{EX}p> "tab\\t<{GENID}a1>\\tend" .
    <{EX}s> <{EX}p> <{GENID}x.y> .
    <{EX}s> <{EX}p> <{GENID}a1/more> .
    <{EX}s> <{EX}p> <https://other.example/.well-known/genid/a1> .
"""


def skolem_store() -> ox.Store:
    store = ox.Store()
    store.load(SKOLEM_DATA.encode(), format=ox.RdfFormat.N_TRIPLES)
    return store


def test_tsv_fields_that_are_exactly_skolem_iris_become_blank_nodes() -> None:
    sparql = "SELECT ?s ?o { ?s ?p ?o }"
    response = serialize_result(skolem_store().query(sparql), "tsv", "turtle", 10, GENID)
    assert response.rows == 6
    assert set(response.body.decode().splitlines()[1:]) == {
        "_:a1\t_:b2",
        f'_:b2\t"<{GENID}a1>"',
        f'_:b2\t"tab\\t<{GENID}a1>\\tend"',
        f"<{EX}s>\t<{GENID}x.y>",
        f"<{EX}s>\t<{GENID}a1/more>",
        f"<{EX}s>\t<https://other.example/.well-known/genid/a1>",
    }


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_skolem_iris_are_blank_nodes_in_every_results_format(fmt: str) -> None:
    sparql = "SELECT ?s ?o { ?s ?p ?o }"
    response = serialize_result(skolem_store().query(sparql), fmt, "turtle", 10, GENID)
    ox_format = next(f for f in RESULTS_FORMATS if f.name == fmt).ox_format
    rows = list(ox.parse_query_results(response.body, format=ox_format))
    terms = {term for row in rows if isinstance(row, ox.QuerySolution) for term in row}
    assert {t for t in terms if isinstance(t, ox.BlankNode)} == {
        ox.BlankNode("a1"),
        ox.BlankNode("b2"),
    }
    assert ox.Literal(f"<{GENID}a1>") in terms


@pytest.mark.parametrize("syntax", [s.name for s in RDF_SYNTAXES])
def test_exact_skolem_iris_come_back_as_blank_nodes_in_graphs(syntax: str) -> None:
    store = skolem_store()
    sparql = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = serialize_result(store.query(sparql), "json", syntax, 10, GENID)
    kept = serialize_result(store.query(sparql), "json", syntax, 10, None)
    assert response.rows == kept.rows == 6
    fmt = next(s for s in RDF_SYNTAXES if s.name == syntax).ox_format
    terms = {t for triple in ox.parse(response.body, format=fmt) for t in triple}
    blanks = {t for t in terms if isinstance(t, ox.BlankNode)}
    assert len(blanks) == 2  # a1 and b2, each the same node wherever it occurs
    assert ox.Literal(f"<{GENID}a1>") in terms
    assert ox.NamedNode(f"{GENID}x.y") in terms and ox.NamedNode(f"{GENID}a1/more") in terms
    assert not any(
        isinstance(t, ox.BlankNode) for tr in ox.parse(kept.body, format=fmt) for t in tr
    )


def test_results_without_skolem_iris_are_written_as_before() -> None:
    store = ox.Store()
    store.extend(generated_quads(FILLER, 50))
    for sparql in [
        "SELECT * { GRAPH ?g { ?s ?p ?o } }",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    ]:
        plain = serialize_result(store.query(sparql), "json", "ntriples", 100)
        mapped = serialize_result(store.query(sparql), "json", "ntriples", 100, GENID)
        assert plain == mapped


def test_refresh_shows_a_write_to_the_next_query_while_a_running_query_keeps_the_old_state(
    tmp_path: Path,
) -> None:
    primary = open_store(tmp_path / "store")
    with QueryExecutor(
        tmp_path, primary=primary, workers=2, timeout_s=30.0, max_result_rows=10
    ) as executor:
        counts: list[int] = []
        running = threading.Thread(target=lambda: counts.append(count(executor, SLOW_COUNT)))
        running.start()
        time.sleep(0.3)  # the count has started on the first checkpoint
        new = ox.Quad(ox.NamedNode(EX + "new"), ox.NamedNode(EX + "n"), ox.Literal(-1), MEDIUM)
        primary.extend(with_merge([new]))
        ask = QueryRequest(f"ASK {{ <{EX}new> ?p ?o }}")
        assert json.loads(executor.run(ask).body)["boolean"] is False
        executor.refresh()
        assert json.loads(executor.run(ask).body)["boolean"] is True
        running.join()
        assert counts == [MEDIUM_SIZE**3]
        assert count(executor, SLOW_COUNT) == (MEDIUM_SIZE + 1) ** 3
        assert [p.name for p in (tmp_path / "snapshots").iterdir()] == ["00000002"]
    assert not (tmp_path / "snapshots").exists()


SERVICE_SCRIPT = """
import json, sys
from pathlib import Path
import pyoxigraph as ox
from kg.query.executor import QueryExecutor, QueryRequest
root = Path(sys.argv[1])
(root / "store").mkdir()
store = ox.Store(str(root / "store"))
p = ox.NamedNode("urn:p")
store.extend(ox.Quad(ox.NamedNode(f"urn:s{i}"), p, ox.Literal(i)) for i in range(1000))
executor = QueryExecutor(root, primary=store, workers=1, timeout_s=600, max_result_rows=10)
executor.start()
print(json.dumps(executor.worker_pids()), flush=True)
executor.run(QueryRequest(sys.argv[2]))
"""


def test_workers_stop_when_the_service_is_killed_mid_query(tmp_path: Path) -> None:
    command = [sys.executable, "-c", SERVICE_SCRIPT, str(tmp_path), FOREVER]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as service:
        try:
            assert service.stdout is not None
            workers = json.loads(service.stdout.readline())
            time.sleep(0.5)  # the worker is deep in the query
            assert any(alive(pid) for pid in workers)
        finally:
            service.kill()
    deadline = time.monotonic() + 5.0
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its service"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Tell whether a process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def count(executor: QueryExecutor, sparql: str) -> int:
    body = json.loads(executor.run(QueryRequest(sparql)).body)
    return int(body["results"]["bindings"][0]["n"]["value"])


def run_expecting_timeout(executor: QueryExecutor, sparql: str) -> None:
    with pytest.raises(QueryTimeout):
        executor.run(QueryRequest(sparql))


def wait_until_whole(executor: QueryExecutor, workers: int = 2, deadline_s: float = 10.0) -> None:
    """Wait until the executor has its workers and its spare again."""
    deadline = time.monotonic() + deadline_s
    while len(executor.worker_pids()) < workers + 1:
        assert time.monotonic() < deadline, "the executor did not replace its worker"
        time.sleep(0.02)


def cpu_seconds_of_descendants(over_s: float) -> float:
    """Return the CPU time this process's descendants used during the next `over_s`."""
    before = _descendant_ticks()
    time.sleep(over_s)
    after = _descendant_ticks()
    used = sum(ticks - before.get(pid, 0) for pid, ticks in after.items())
    return used / os.sysconf("SC_CLK_TCK")


def _descendant_ticks() -> dict[int, int]:
    """utime + stime of every process under this one, read from /proc (no psutil here)."""
    parent_of: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(entry.name)
        parent_of[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    ours = {os.getpid()}
    for pid in sorted(parent_of):
        chain = pid
        while chain in parent_of and chain not in ours and chain > 1:
            chain = parent_of[chain]
        if chain in ours:
            ours.add(pid)
    return {pid: ticks[pid] for pid in ours if pid != os.getpid()}
