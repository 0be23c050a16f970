"""The HTTP suites' reading and checking rules (`w3c_http`), tried before they judge the service."""

from __future__ import annotations

from test_w3c_graph_store import TESTS as GSP_TESTS
from test_w3c_protocol import TESTS as PROTOCOL_TESTS
from test_w3c_protocol import check as protocol_check
from w3c_http import (
    ExpectedResponse,
    HttpRequest,
    HttpResponse,
    check_rdf_body,
    same_content_type,
    status_matches,
)

TURTLE = "text/turtle; charset=utf-8"
CARD = "@prefix v: <http://www.w3.org/2006/vcard/ns#> . <http://e/p> v:card [ v:fn {name} ] ."


def request(expected: ExpectedResponse) -> HttpRequest:
    return HttpRequest("GET", "/", (), None, expected)


def test_the_manifests_are_read_whole() -> None:
    assert len(PROTOCOL_TESTS) == 34
    assert [t.id for t in GSP_TESTS][:4] == [
        "put_get_repeat_direct",
        "put_delete_get_delete_direct",
        "post_get_post_get_direct",
        "head_existing_direct",
    ]
    assert len(GSP_TESTS) == 13
    full = next(t for t in PROTOCOL_TESTS if t.id == "query_dataset_full")
    assert [g for g, _ in full.graph_data] == [
        f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 2, 3)
    ]
    assert all(path.is_file() for _, path in full.graph_data)
    post = next(t for t in GSP_TESTS if t.id == "post_get_post_get_indirect")
    multipart = post.requests[2].body or b""
    assert b'"lastName.ttl"\r\nContent-Type: text/turtle' in multipart  # \r as the manifest says
    non_utf8 = next(t for t in PROTOCOL_TESTS if t.id == "bad_query_non_utf8")
    assert non_utf8.requests[0].body == "ASK {}".encode("utf-16")


def test_statuses_match_codes_and_classes() -> None:
    assert status_matches(204, ("200", "204"))
    assert not status_matches(201, ("200", "204"))
    assert status_matches(302, ("2xx", "3xx"))
    assert not status_matches(401, ("2xx", "3xx"))


def test_content_types_compare_by_media_type_and_charset() -> None:
    assert same_content_type(TURTLE, "text/turtle")
    assert same_content_type(TURTLE, "Text/Turtle; charset=UTF-8")
    assert not same_content_type(TURTLE, "text/turtle; charset=iso-8859-1")
    assert not same_content_type(TURTLE, "application/n-triples")


def test_graphs_compare_by_isomorphism() -> None:
    expected = request(
        ExpectedResponse(("200",), (("content-type", TURTLE),), CARD.format(name='"A"'))
    )
    same = HttpResponse(200, {"content-type": "text/turtle"}, CARD.format(name='"A"').encode())
    other = HttpResponse(200, {"content-type": "text/turtle"}, CARD.format(name='"B"').encode())
    assert check_rdf_body(expected, same, "http://e/") == []
    assert check_rdf_body(expected, other, "http://e/") != []


def test_protocol_answers_are_checked_for_format_and_value() -> None:
    ask = request(ExpectedResponse(("2xx",), boolean=True, format="boolean"))
    json = {"content-type": "application/sparql-results+json"}
    assert protocol_check(ask, HttpResponse(200, json, b'{"head":{},"boolean":true}')) == []
    assert protocol_check(ask, HttpResponse(200, json, b'{"head":{},"boolean":false}')) != []
    assert protocol_check(ask, HttpResponse(200, {"content-type": "text/csv"}, b"x\n")) != []
    rdf = request(ExpectedResponse(("2xx",), format="RDF"))
    assert protocol_check(rdf, HttpResponse(200, {"content-type": "text/turtle"}, b"")) == []
    assert (
        protocol_check(rdf, HttpResponse(200, {"content-type": "application/ld+json"}, b"")) != []
    )
