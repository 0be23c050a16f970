"""The W3C SPARQL 1.1 Graph Store HTTP Protocol tests, run against `aicap serve` over HTTP.

One case per entry of ``tests/conformance/w3c-sparql/graph-store-protocol/manifest.ttl``
(which includes ``manifest-direct.ttl``, then ``manifest-indirect.ttl``), in manifest order,
on one service for the module (`w3c_http.running_service`). Each entry's requests are sent
in order, ``/gsp`` mapped to ``/graph-store``; graph IRIs stay as the manifest writes them
(``http://www.example/gsp/person/1.ttl``): the service names graphs by ``?graph=IRI``.
Writes carry the bearer token. Answers are checked as the manifest defines: status code
or class, ``Location`` (its value then replaces ``$LOCATION$``), the ``Content-Type``, and
an RDF body by graph isomorphism (``rdflib.compare.isomorphic``).

Each entry starts from an empty store (``DROP ALL``): the entries assume it (each begins
with a PUT that must answer 201 Created, or a POST whose GET shows only what it sent).

A deviation the contract (``docs/contract.md``) makes on purpose is a strict xfail listed in
`KNOWN_DEVIATIONS` with the spec section; any other failure is the service's to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from w3c_http import (
    SUITE_DIR,
    HttpRequest,
    HttpResponse,
    HttpTest,
    SuiteService,
    check_headers,
    check_rdf_body,
    manifest_cases,
    read_manifest,
    run_requests,
    running_service,
)

MANIFEST = SUITE_DIR / "graph-store-protocol" / "manifest.ttl"
ENDPOINT = "/graph-store"

DIRECT = (
    "Direct graph identification (GSP §4.1: the request URL itself names the graph, "
    "/gsp/person/1.ttl) is not offered: docs/contract.md gives /graph-store with "
    "?default or ?graph=IRI only (indirect identification, GSP §4.2)"
)

KNOWN_DEVIATIONS: dict[str, str] = {
    "put_get_repeat_direct": DIRECT,
    "put_delete_get_delete_direct": DIRECT,
    "post_get_post_get_direct": DIRECT,
    "head_existing_direct": DIRECT,
}
"""Test id → why it fails on purpose (strict xfail: the day it passes, the suite says so)."""

TESTS = read_manifest(MANIFEST)
"""Read at collection: a missing manifest is a collection error, never a skip."""


def cases() -> list[object]:
    """One case per entry; the deviations as strict xfails for wrong answers only."""
    ids = {t.id for t in TESTS}
    unknown = set(KNOWN_DEVIATIONS) - ids
    if unknown:
        raise ValueError(f"KNOWN_DEVIATIONS names tests the manifest lacks: {unknown}")
    unlisted = {t.id for t in TESTS if "DirectGraphIdentification" in t.requires} - set(
        KNOWN_DEVIATIONS
    )
    if unlisted:
        raise ValueError(f"tests that need direct identification are not listed: {unlisted}")
    return manifest_cases(TESTS, KNOWN_DEVIATIONS)


def map_path(path: str) -> str:
    """``/gsp...`` (the manifest's endpoint) → ``/graph-store...``."""
    if not path.startswith("/gsp"):
        raise ValueError(f"a Graph Store Protocol path starts with /gsp: {path}")
    return ENDPOINT + path.removeprefix("/gsp")


def check(request: HttpRequest, response: HttpResponse) -> list[str]:
    """Headers, then the body as a graph; HEAD has no body to compare."""
    problems = check_headers(request, response)
    if request.method == "HEAD":
        if response.body:
            problems.append(f"HEAD answered a body of {len(response.body)} bytes")
        return problems
    return problems + check_rdf_body(request, response, "http://www.example/")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteService]:
    """One `aicap serve` for the module (`w3c_http.running_service`)."""
    with running_service(tmp_path_factory.mktemp("gsp")) as running:
        yield running


@pytest.mark.parametrize("test", cases())
def test_graph_store_protocol(service: SuiteService, test: HttpTest) -> None:
    service.reset()
    run_requests(service, test, map_path, check)
