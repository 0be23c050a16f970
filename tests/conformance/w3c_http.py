"""The W3C HTTP test manifests (SPARQL Protocol, Graph Store Protocol): read them, run them.

Both suites describe each test as an ``ht:Connection`` whose ``ht:requests`` list is sent in
order (the W3C "HTTP Vocabulary in RDF"): method, ``ht:absolutePath`` (``/sparql/...`` or
``/gsp...``, which a runner maps to its own endpoint), ``ht:headers``, a ``cnt:chars`` body
in its ``cnt:characterEncoding``, and an ``ht:resp`` with what the answer must be:
``mf:expectedStatus`` (codes such as ``hts:Created``, or classes such as
``hts:StatusCode2xx``; one of them must match), ``ht:headers``, an RDF ``ht:body`` (compared
by graph isomorphism), ``mf:expectedLocation`` (a template such as ``$LOCATION$`` that the
``Location`` header's value replaces in the later requests' paths and bodies),
``mf:expectedBoolean`` and ``mf:expectedFormat`` (SPARQL Protocol).

`SuiteService` is `aicap serve` as the query suite runs it: a free port, the strict dataset
(``AICAP_UNION_DEFAULT_GRAPH=false``), a write token, the bundled data dropped first.
"""

from __future__ import annotations

import http.client
import textwrap
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from live.conftest import LiveServer, start_server  # tests/ is on sys.path (rootdir conftest)
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

SUITE_DIR = Path(__file__).resolve().parent / "w3c-sparql"
WRITE_TOKEN = "w3c-http-conformance-token"
HTTP_TIMEOUT_S = 30.0

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#"

STATUS_CODES = {"OK": "200", "Created": "201", "NoContent": "204", "NotFound": "404"}
"""The ``hts:`` codes the manifests use; ``hts:StatusCodeNxx`` is a class, ``Nxx``."""

RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}
"""Media type of an RDF body → rdflib's parser for it."""


@dataclass(frozen=True)
class ExpectedResponse:
    """What one ``ht:resp`` says the answer must be."""

    statuses: tuple[str, ...]
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    location: str | None = None
    boolean: bool | None = None
    format: str | None = None


@dataclass(frozen=True)
class HttpRequest:
    """One ``ht:Request`` of a connection, as the manifest writes it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    expected: ExpectedResponse

    def header(self, name: str) -> str | None:
        """The value of a request header, by case-insensitive name."""
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


@dataclass(frozen=True)
class HttpTest:
    """One manifest entry: its requests, and the data it needs (``ut:graphData``)."""

    id: str
    name: str
    requires: frozenset[str]
    requests: tuple[HttpRequest, ...]
    graph_data: tuple[tuple[str, Path], ...] = ()


@dataclass(frozen=True)
class HttpResponse:
    """The service's answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def media_type(self) -> str:
        """The Content-Type without parameters, lower case ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def read_manifest(path: Path) -> list[HttpTest]:
    """Read the tests of a manifest (and of those it ``mf:include``s), in entry order."""
    graph = Graph()
    graph.parse(path, format="turtle", publicID=path.as_uri())
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    tests: list[HttpTest] = []
    for included in Collection(graph, graph.value(manifest, MF.include) or RDF.nil):
        tests += read_manifest(Path(urllib.parse.urlsplit(str(included)).path))
    for entry in Collection(graph, graph.value(manifest, MF.entries) or RDF.nil):
        tests.append(read_test(graph, entry))
    return tests


def read_test(graph: Graph, entry: Node) -> HttpTest:
    """Read one entry: its id is the local name of its IRI."""
    connection = graph.value(entry, MF.action)
    requests = graph.value(connection, HT.requests)
    if requests is None:
        raise ValueError(f"{entry}: no ht:requests")
    graph_data = tuple(
        (
            str(graph.value(d, RDFS.label)),
            Path(urllib.parse.urlsplit(str(graph.value(d, UT.graph))).path),
        )
        for d in graph.objects(entry, UT.graphData)
    )
    return HttpTest(
        id=str(entry).rsplit("#", 1)[-1],
        name=str(graph.value(entry, MF.name) or ""),
        requires=frozenset(str(r).rsplit("#", 1)[-1] for r in graph.objects(entry, MF.requires)),
        requests=tuple(read_request(graph, r) for r in Collection(graph, requests)),
        graph_data=tuple(sorted(graph_data)),
    )


def read_request(graph: Graph, node: Node) -> HttpRequest:
    """Read one ``ht:Request`` and its ``ht:resp``."""
    body_node = graph.value(node, HT.body)
    body = None
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding)
    resp = graph.value(node, HT.resp)
    if resp is None:
        raise ValueError(f"{node}: no ht:resp")
    statuses = sorted(status_of(str(s)) for s in graph.objects(resp, MF.expectedStatus))
    if not statuses:
        raise ValueError(f"{node}: no mf:expectedStatus")
    boolean = graph.value(resp, MF.expectedBoolean)
    location = graph.value(resp, MF.expectedLocation)
    body_text = graph.value(graph.value(resp, HT.body), CNT.chars)
    expected = ExpectedResponse(
        statuses=tuple(statuses),
        headers=headers_of(graph, resp),
        body=None if body_text is None else str(body_text),
        location=None if location is None else str(location),
        boolean=None if boolean is None else str(boolean) == "true",
        format=str(graph.value(resp, MF.expectedFormat) or "") or None,
    )
    return HttpRequest(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers_of(graph, node),
        body=body,
        expected=expected,
    )


def headers_of(graph: Graph, node: Node) -> tuple[tuple[str, str], ...]:
    """The ``ht:headers`` list of a request or response, as (name, value) pairs."""
    headers = graph.value(node, HT.headers)
    if headers is None:
        return ()
    return tuple(
        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
        for h in Collection(graph, headers)
    )


def status_of(iri: str) -> str:
    """``hts:Created`` → ``201``; ``hts:StatusCode2xx`` → ``2xx``."""
    name = iri.removeprefix(HTS)
    if name.startswith("StatusCode"):
        return name.removeprefix("StatusCode")
    if name not in STATUS_CODES:
        raise ValueError(f"unknown expected status {iri}")
    return STATUS_CODES[name]


def status_matches(status: int, expected: tuple[str, ...]) -> bool:
    """Whether a status is one of the expected codes or classes (``2xx``)."""
    return any(str(status) == e or (e.endswith("xx") and str(status)[0] == e[0]) for e in expected)


def parse_rdf(body: bytes | str, media_type: str, base: str) -> Graph:
    """Parse an RDF body with rdflib, by its media type."""
    if media_type not in RDF_PARSERS:
        raise AssertionError(f"{media_type!r} is not an RDF media type ({', '.join(RDF_PARSERS)})")
    return Graph().parse(data=body, format=RDF_PARSERS[media_type], publicID=base)


@dataclass
class SuiteService:
    """The running service, reached with one HTTP connection per request."""

    server: LiveServer

    def send(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> HttpResponse:
        """Send one request as given (the path is not re-encoded); read the whole answer."""
        parts = urllib.parse.urlsplit(self.server.url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=HTTP_TIMEOUT_S)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return HttpResponse(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def write(self, method: str, path: str, content_type: str, body: bytes) -> None:
        """Send a write with the token; anything but a 2xx fails the test."""
        headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": content_type}
        response = self.send(method, path, headers, body)
        assert 200 <= response.status < 300, (
            f"setup: {method} {path} → {response.status}: {response.body.decode(errors='replace')}"
        )

    def reset(self) -> None:
        """Empty the store: one ``DROP ALL`` (the bundled data and every earlier test's)."""
        self.write("POST", "/sparql", "application/sparql-update", b"DROP ALL")

    def put_graph(self, iri: str, path: Path) -> None:
        """Load an N-Triples file into the named graph `iri` by Graph Store Protocol PUT."""
        query = urllib.parse.urlencode({"graph": iri})
        self.write("PUT", f"/graph-store?{query}", "application/n-triples", path.read_bytes())


@contextmanager
def running_service(workdir: Path) -> Iterator[SuiteService]:
    """`aicap serve` with the strict dataset and the token, emptied; stopped with SIGTERM."""
    server = start_server(
        workdir, {"AICAP_UNION_DEFAULT_GRAPH": "false", "AICAP_WRITE_TOKEN": WRITE_TOKEN}
    )
    try:
        service = SuiteService(server)
        service.reset()
        yield service
    finally:
        status = server.stop()
    assert status == 0, f"aicap serve exited with {status} on SIGTERM:\n{server.log()}"


def run_requests(
    service: SuiteService,
    test: HttpTest,
    map_path: Callable[[str], str],
    check: Callable[[HttpRequest, HttpResponse], list[str]],
) -> None:
    """Send a test's requests in order; fail at the first answer that differs.

    Requests other than GET and HEAD carry the write token: the service refuses writes
    without it (401), and a refused request must be refused for the reason the test names.
    """
    __tracebackhide__ = True
    templates: dict[str, str] = {}
    for number, request in enumerate(test.requests, 1):
        path, body = map_path(request.path), request.body
        for name, value in templates.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body is not None else None
        headers = dict(request.headers)
        if request.method not in ("GET", "HEAD"):
            headers["Authorization"] = f"Bearer {WRITE_TOKEN}"
        response = service.send(request.method, path, headers, body)
        problems = []
        if not status_matches(response.status, request.expected.statuses):
            problems.append(
                f"status {response.status}, expected {' or '.join(request.expected.statuses)}"
            )
        else:
            problems += check(request, response)
        location = request.expected.location
        if location is not None:
            if "location" in response.headers:
                templates[location] = response.headers["location"]
            else:
                problems.append("no Location header")
        assert not problems, describe(
            number, request.method, path, headers, body, response, problems
        )


def describe(
    number: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    response: HttpResponse,
    problems: list[str],
) -> str:
    """The failed exchange: the request as sent, what went wrong, and the answer."""
    sent = "".join(f"\n  {k}: {v}" for k, v in headers.items())
    text = "" if body is None else "\n" + indent(body.decode("utf-8", "replace").strip()[:800])
    answer = indent(response.body.decode("utf-8", "replace").strip()[:800])
    return (
        f"request {number}: {method} {path}{sent}{text}\n"
        f"→ {'; '.join(problems)}\n"
        f"answer: {response.status} {response.headers.get('content-type', '')}\n{answer}"
    )


def indent(text: str) -> str:
    """Text indented by four spaces, for a failure message."""
    return textwrap.indent(text, "    ")


def check_headers(request: HttpRequest, response: HttpResponse) -> list[str]:
    """Compare the expected response headers; Content-Type as `same_content_type` does."""
    problems = []
    for name, value in request.expected.headers:
        actual = response.headers.get(name.lower())
        if actual is None:
            problems.append(f"no {name} header (expected {value!r})")
        elif name.lower() == "content-type":
            if not same_content_type(value, actual):
                problems.append(f"Content-Type {actual!r}, expected {value!r}")
        elif actual != value:
            problems.append(f"{name} {actual!r}, expected {value!r}")
    return problems


def same_content_type(expected: str, actual: str) -> bool:
    """Same media type; a charset both sides give must agree (Turtle is UTF-8 by definition)."""

    def split(value: str) -> tuple[str, str | None]:
        media, *params = (p.strip().lower() for p in value.split(";"))
        charset = next(
            (p.split("=", 1)[1].strip('"') for p in params if p.startswith("charset=")), None
        )
        return media, charset

    (e_media, e_charset), (a_media, a_charset) = split(expected), split(actual)
    return e_media == a_media and (e_charset is None or a_charset is None or e_charset == a_charset)


def check_rdf_body(request: HttpRequest, response: HttpResponse, base: str) -> list[str]:
    """Compare an expected RDF body with the answer's by graph isomorphism."""
    if request.expected.body is None:
        return []
    expected_type = dict((n.lower(), v) for n, v in request.expected.headers).get(
        "content-type", "text/turtle"
    )
    expected = parse_rdf(request.expected.body, expected_type.split(";")[0].strip(), base)
    try:
        actual = parse_rdf(response.body, response.media_type(), base)
    except Exception as exc:  # a body that does not parse is a wrong answer, reported as such
        return [f"the body does not parse as {response.media_type()}: {exc}"]
    if isomorphic(expected, actual):
        return []
    return [
        "the graph is not isomorphic to the expected one; expected:\n  "
        + expected.serialize(format="nt").strip().replace("\n", "\n  ")
    ]


def results_of(response: HttpResponse) -> ox.QuerySolutions | ox.QueryBoolean:
    """Parse SPARQL results in the answer's format."""
    fmt = ox.QueryResultsFormat.from_media_type(response.media_type())
    if fmt is None:
        raise AssertionError(f"{response.media_type()!r} is not a SPARQL results format")
    return ox.parse_query_results(response.body, format=fmt)


def manifest_cases(tests: list[HttpTest], deviations: dict[str, str]) -> list[object]:
    """One pytest case per manifest entry; the listed deviations as strict xfails.

    Raises:
        ValueError: `deviations` names an entry the manifest lacks (a stale list).
    """
    unknown = set(deviations) - {t.id for t in tests}
    if unknown:
        raise ValueError(f"KNOWN_DEVIATIONS names tests the manifest lacks: {unknown}")
    return [
        pytest.param(
            test,
            id=test.id,
            marks=[
                pytest.mark.xfail(strict=True, raises=AssertionError, reason=deviations[test.id])
            ]
            if test.id in deviations
            else [],
        )
        for test in tests
    ]
