"""Time a validated 100-triple write through HTTP.

Starts `aicap serve` with a write token on the bundled data (optionally with filler quads
shaped like the domain: payment obligations between the bundled firms, each resting on the
bundled agreement and claim, so the firms the write touches have many neighbours), then
sends, one after the other over a kept-alive connection:

- a SPARQL ``INSERT DATA`` of 100 triples (16 payment obligations and 4 labels),
- a graph-store ``PUT`` of the same 100 triples into a new graph,
- a two-operation update (``INSERT DATA`` then ``DELETE WHERE``: the scratch-copy path),

each validated against the shapes and committed with its audit record, and prints the
median and the spread.

    python bench/writes.py [--runs 15] [--filler-quads 300000]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
from served import free_port, start_server

from kg.config import Settings
from kg.rdf.bootstrap import bootstrap
from kg.store.embedded import EmbeddedStore

TOKEN = "bench-token"
A = "https://w3id.org/aicap/ontology#"
ID = "https://w3id.org/aicap/id/"
FIRMS = ("openai", "oracle", "nvidia", "amd", "coreweave", "broadcom")
PREFIXES = f"""PREFIX aicap: <{A}>
PREFIX firm: <{ID}firm/>
PREFIX agr: <{ID}agreement/>
PREFIX claim: <{ID}claim/announcements/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--filler-quads", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aicap-bench-writes-") as tmp:
        data_dir = Path(tmp) / "store"
        quads = prepare_store(data_dir, args.filler_quads)
        port = free_port()
        settings = {"AICAP_WRITE_TOKEN": TOKEN, "AICAP_WRITE_TOKEN_NAME": "bench"}
        server = start_server(Path(tmp), data_dir, port, settings, deadline_s=120)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            print(f"store: {quads:,} quads; {args.runs} runs each; median (min-max) ms")
            report("INSERT DATA, 100 triples", lambda: update(connection, insert_data()), args.runs)
            report("GSP PUT, 100 triples, new graph", lambda: put(connection), args.runs)
            report("INSERT DATA ; DELETE WHERE", lambda: update(connection, two_ops()), args.runs)
        finally:
            server.terminate()
            server.wait(timeout=30)


def obligations() -> str:
    """100 triples: 16 payment obligations of 6 triples between bundled firms, 4 labels."""
    lines = []
    for i in range(16):
        iri = f"<{ID}obligation/bench-{uuid.uuid4()}>"
        debtor, creditor = FIRMS[i % 3], FIRMS[3 + i % 3]
        lines.append(
            f"{iri} a aicap:PaymentObligation ; aicap:fromParty firm:{debtor} ; "
            f"aicap:toParty firm:{creditor} ; aicap:amountUSD {1000 + i}.0 ; "
            f"aicap:restsOn agr:oracle-openai ; aicap:statedIn claim:p4 ."
        )
        if i < 4:
            lines.append(f'{iri} rdfs:label "bench obligation {i}" .')
    return "\n".join(lines)


def insert_data() -> str:
    return f"{PREFIXES}INSERT DATA {{ GRAPH <{ID}graph/bench> {{ {obligations()} }} }}"


def two_ops() -> str:
    graph = f"<{ID}graph/bench-{uuid.uuid4()}>"
    return (
        f"{PREFIXES}INSERT DATA {{ GRAPH {graph} {{ {obligations()} }} }} ;\n"
        f"DELETE WHERE {{ GRAPH {graph} {{ ?s rdfs:label ?label }} }}"
    )


def update(connection: http.client.HTTPConnection, text: str) -> None:
    headers = {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"}
    expect(connection, "POST", "/sparql", text, headers, 204)


def put(connection: http.client.HTTPConnection) -> None:
    path = f"/graph-store?graph={ID}graph/bench-{uuid.uuid4()}"
    headers = {"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"}
    expect(connection, "PUT", path, PREFIXES + obligations(), headers, 201)


def expect(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str,
    headers: dict[str, str],
    status: int,
) -> None:
    connection.request(method, path, body.encode(), headers)
    response = connection.getresponse()
    text = response.read()
    if response.status != status:
        raise RuntimeError(f"{method} {path}: {response.status} {text[:2000]!r}")


def report(name: str, write: Callable[[], None], runs: int) -> None:
    write()  # warm up: the shapes' read plan is compiled on the first validation
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        write()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{name:40} {statistics.median(times):8.1f} ({min(times):.1f}-{max(times):.1f})")


def prepare_store(data_dir: Path, filler_quads: int) -> int:
    """Load the bundled data, then `filler_quads` domain-shaped quads; return the count."""
    store = EmbeddedStore(data_dir)
    try:
        bootstrap(store, Settings(data_dir=data_dir))
        if filler_quads:
            store.bulk_add(filler(filler_quads))
        return store.count()
    finally:
        store.close()


def filler(count: int) -> list[ox.Quad]:
    graph = ox.NamedNode(f"{ID}graph/filler")
    a = {name: ox.NamedNode(A + name) for name in ("fromParty", "toParty", "amountUSD")}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    payment = ox.NamedNode(A + "PaymentObligation")
    rests, stated = ox.NamedNode(A + "restsOn"), ox.NamedNode(A + "statedIn")
    agreement = ox.NamedNode(f"{ID}agreement/oracle-openai")
    claim = ox.NamedNode(f"{ID}claim/announcements/p4")
    decimal = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    quads = []
    for i in range(count // 6):
        s = ox.NamedNode(f"{ID}obligation/filler-{i}")
        quads += [
            ox.Quad(s, rdf_type, payment, graph),
            ox.Quad(s, a["fromParty"], ox.NamedNode(f"{ID}firm/{FIRMS[i % 3]}"), graph),
            ox.Quad(s, a["toParty"], ox.NamedNode(f"{ID}firm/{FIRMS[3 + i % 3]}"), graph),
            ox.Quad(s, a["amountUSD"], ox.Literal(f"{i + 1}.0", datatype=decimal), graph),
            ox.Quad(s, rests, agreement, graph),
            ox.Quad(s, stated, claim, graph),
        ]
    return quads


if __name__ == "__main__":
    main()
