"""The W3C SPARQL 1.1 Protocol tests, run against `aicap serve` over HTTP.

One case per entry of ``tests/conformance/w3c-sparql/protocol/manifest.ttl``, in manifest
order, on one service for the module (`w3c_http.running_service`): queries and updates by
GET and POST, as forms and as direct bodies, with ``default-graph-uri``,
``named-graph-uri``, ``using-graph-uri`` and ``using-named-graph-uri``, and the requests a
service must refuse (4xx). Each entry's requests are sent in order as the manifest writes
them, ``/sparql/`` mapped to ``/sparql``; requests other than GET carry the write token
(updates need it; a 4xx must be for the reason the test names, not a missing token).

Each entry starts from an empty store (``DROP ALL``) holding its ``ut:graphData``: each
file (``data1.nt`` ...) PUT by the Graph Store Protocol into the graph its ``rdfs:label``
names (``http://kasei.us/2009/09/sparql/data/data1.rdf`` ...).

Answers are checked as the manifest defines: the status code class; ``mf:expectedFormat``
as the media types its tests name ("boolean": SPARQL XML or JSON results; "tabular": those
or CSV/TSV; "RDF": RDF/XML, Turtle, N-Triples or RDFa), the body parsing in that format;
``mf:expectedBoolean`` as the ASK result read from the body.

A deviation the contract (``docs/contract.md``) makes on purpose is a strict xfail listed in
`KNOWN_DEVIATIONS` with the spec section; any other failure is the service's to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from w3c_http import (
    SUITE_DIR,
    HttpRequest,
    HttpResponse,
    HttpTest,
    SuiteService,
    check_headers,
    manifest_cases,
    parse_rdf,
    read_manifest,
    results_of,
    run_requests,
    running_service,
)

MANIFEST = SUITE_DIR / "protocol" / "manifest.ttl"
ENDPOINT = "/sparql"

RESULTS = ("application/sparql-results+xml", "application/sparql-results+json")
FORMATS: dict[str, tuple[str, ...]] = {
    "boolean": RESULTS,
    "tabular": (*RESULTS, "text/csv", "text/tab-separated-values"),
    "RDF": ("application/rdf+xml", "text/turtle", "application/n-triples", "text/html"),
}
"""``mf:expectedFormat`` → the media types its tests accept (their ``mf:name`` lists them)."""

KNOWN_DEVIATIONS: dict[str, str] = {}
"""Test id → why it fails on purpose (strict xfail); docs/contract.md promises them all."""

TESTS = read_manifest(MANIFEST)
"""Read at collection: a missing manifest is a collection error, never a skip."""


def cases() -> list[object]:
    """One case per entry; the deviations as strict xfails for wrong answers only."""
    return manifest_cases(TESTS, KNOWN_DEVIATIONS)


def map_path(path: str) -> str:
    """``/sparql/...`` (the manifest's endpoint) → ``/sparql...``."""
    if not path.startswith("/sparql/"):
        raise ValueError(f"a protocol path starts with /sparql/: {path}")
    return ENDPOINT + path.removeprefix("/sparql/")


def check(request: HttpRequest, response: HttpResponse) -> list[str]:
    """The format and the content of a successful answer, as ``ht:resp`` gives them."""
    problems = check_headers(request, response)
    expected = request.expected
    if expected.format is None or not 200 <= response.status < 300:
        return problems
    accepted = FORMATS[expected.format]
    if response.media_type() not in accepted:
        return [*problems, f"Content-Type {response.media_type()!r}, expected one of {accepted}"]
    try:
        if expected.format == "RDF":
            parse_rdf(response.body, response.media_type(), "http://www.example/sparql")
            return problems
        results = results_of(response)
        if isinstance(results, ox.QuerySolutions):
            list(results)  # every row parses
    except Exception as exc:  # a body that does not parse is a wrong answer, reported as such
        return [*problems, f"the body does not parse as {response.media_type()}: {exc}"]
    if isinstance(results, ox.QueryBoolean) != (expected.format == "boolean"):
        return [*problems, f"expected {expected.format} results, got {type(results).__name__}"]
    if expected.boolean is not None and bool(results) != expected.boolean:
        problems.append(f"ASK answered {bool(results)}, expected {expected.boolean}")
    return problems


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteService]:
    """One `aicap serve` for the module (`w3c_http.running_service`)."""
    with running_service(tmp_path_factory.mktemp("protocol")) as running:
        yield running


@pytest.mark.parametrize("test", cases())
def test_protocol(service: SuiteService, test: HttpTest) -> None:
    service.reset()
    for iri, path in test.graph_data:
        service.put_graph(iri, path)
    run_requests(service, test, map_path, check)
