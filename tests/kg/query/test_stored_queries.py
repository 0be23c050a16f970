"""`kg.query.stored_queries`: `#+` headers, typed binding through substitutions, names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import BadParameter, KgError, MissingParameter, UnknownQuery, UnknownResource
from kg.graph import KnowledgeGraph
from kg.query.query_files import QueryParam, read_stored_query
from kg.query.stored_queries import StoredQueryCatalogue
from kg.rdf.formats import serialize_results

XSD = "http://www.w3.org/2001/XMLSchema#"
FIRM = "https://w3id.org/aicap/id/firm/"
PERSON = "https://w3id.org/aicap/id/person/"
INJECTION = 'OpenAI" } ; DROP ALL ; #'

TYPED = """\
#+ title: Typed parameters
#+ description: one parameter of each literal type
#+ question: does binding type the values?
#+ params:
#+   - {name: n, type: integer, required: true, description: a count}
#+   - {name: amount, type: decimal}
#+   - {name: day, type: date}
#+   - {name: thing, type: iri}
#+   - {name: word, type: string, default: hello}
#+ tags: [test]
SELECT ?n ?amount ?day ?thing ?word WHERE { }
"""

LABELS = """\
#+ title: Resources with a label
#+ params:
#+   - {name: label, type: string}
SELECT ?label ?x WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?label }
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.rq"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def catalogue(tmp_path: Path, kg: KnowledgeGraph) -> StoredQueryCatalogue:
    """A catalogue of the test queries above, looking names up in the bundled graph."""
    write(tmp_path / "q", "typed", TYPED)
    write(tmp_path / "q", "labels", LABELS)
    return StoredQueryCatalogue.load(tmp_path / "q", kg.store)


def test_header_gives_title_description_question_params_and_tags(tmp_path: Path) -> None:
    query = read_stored_query(write(tmp_path, "typed", TYPED))

    assert (query.name, query.title, query.tags) == ("typed", "Typed parameters", ("test",))
    assert query.question == "does binding type the values?"
    assert query.params[0] == QueryParam("n", "integer", True, None, "a count")
    assert query.params[4].default == "hello"
    assert query.to_json()["params"][1] == {
        "name": "amount",
        "type": "decimal",
        "required": False,
        "default": None,
        "description": "",
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("#+ title: [unclosed\nSELECT * WHERE {}\n", "not YAML"),
        ("SELECT * WHERE {}\n", "no '#+ ' header"),
        ("#+ description: no title\nSELECT * WHERE {}\n", "title"),
        ("#+ title: t\n#+ params:\n#+   - {name: x, type: money}\nSELECT ?x {}\n", "money"),
        ("#+ title: t\n#+ params:\n#+   - {name: x, requried: true}\nSELECT ?x {}\n", "requried"),
        ("#+ title: t\n#+ params:\n#+   - {name: x, required: yes please}\nSELECT ?x {}\n", "true"),
        ("#+ title: t\n#+ params:\n#+   - {name: x}\n#+   - {name: x}\nSELECT ?x {}\n", "repeat"),
        ("#+ title: t\n#+ params:\n#+   - {name: 'x y'}\nSELECT * {}\n", "variable name"),
        ("#+ title: t\n#+ params:\n#+   - {name: x}\nSELECT ?y WHERE { ?y ?p ?x }\n", "projection"),
        (
            "#+ title: t\n#+ params:\n#+   - {name: x}\nSELECT ?x WHERE { FILTER(BOUND(?x)) }\n",
            "BOUND",
        ),
        ("#+ title: t\nSELECT * WHERE { ?s ?p }\n", "syntax error"),
    ],
)
def test_a_bad_query_file_stops_loading_and_names_the_file(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = write(tmp_path, "bad", text)

    with pytest.raises(KgError) as raised:
        StoredQueryCatalogue.load(tmp_path)

    assert str(path) in raised.value.message
    assert complaint in str(raised.value)


def test_unknown_query_lists_the_known_names(catalogue: StoredQueryCatalogue) -> None:
    with pytest.raises(UnknownQuery) as raised:
        catalogue.get("nope")

    assert raised.value.known == ["labels", "typed"]
    assert "labels, typed" in str(raised.value)


def test_missing_required_parameter_is_named(catalogue: StoredQueryCatalogue) -> None:
    with pytest.raises(MissingParameter) as raised:
        catalogue.bind("typed", {})

    assert "'n'" in raised.value.message


@pytest.mark.parametrize(
    ("param", "value", "kind"),
    [
        ("n", "12x", "integer"),
        ("n", "1.5", "integer"),
        ("amount", "1e5", "decimal"),
        ("amount", "1,000", "decimal"),
        ("day", "2025-02-30", "date"),
        ("day", "13/10/2025", "date"),
        ("thing", "not an iri", "iri"),
    ],
)
def test_ill_typed_value_names_the_parameter_and_its_type(
    catalogue: StoredQueryCatalogue, param: str, value: str, kind: str
) -> None:
    with pytest.raises(BadParameter) as raised:
        catalogue.bind("typed", {"n": "1", param: value})

    assert f"'{param}'" in raised.value.message
    assert kind in raised.value.message


def test_unknown_parameter_is_refused_with_the_accepted_ones(
    catalogue: StoredQueryCatalogue,
) -> None:
    with pytest.raises(BadParameter) as raised:
        catalogue.bind("typed", {"n": "1", "colour": "red"})

    assert "colour" in raised.value.message
    assert "n, amount, day, thing, word" in str(raised.value.hint)


def test_values_are_bound_as_typed_terms_and_defaults_apply(
    catalogue: StoredQueryCatalogue,
) -> None:
    bound = catalogue.bind(
        "typed", {"n": "42", "amount": "12.5", "day": "2025-10-13", "thing": "<urn:x:1>"}
    )

    assert bound == {
        "n": ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
        "amount": ox.Literal("12.5", datatype=ox.NamedNode(XSD + "decimal")),
        "day": ox.Literal("2025-10-13", datatype=ox.NamedNode(XSD + "date")),
        "thing": ox.NamedNode("urn:x:1"),
        "word": ox.Literal("hello"),
    }


def test_optional_parameters_without_value_stay_unbound(kg: KnowledgeGraph) -> None:
    assert kg.catalogue.bind("circular-flows", {}) == {}
    assert kg.catalogue.bind("circular-flows", {"firm": ""}) == {}


@pytest.mark.parametrize(
    ("value", "iri"),
    [
        ("OpenAI", FIRM + "openai"),
        ("openai", FIRM + "openai"),
        ("  OPENAI ", FIRM + "openai"),
        ("NVIDIA", FIRM + "nvidia"),
        ("英伟达", FIRM + "nvidia"),
        ("advanced micro devices", FIRM + "amd"),
        (FIRM + "oracle", FIRM + "oracle"),
        (f"<{FIRM}oracle>", FIRM + "oracle"),
    ],
)
def test_a_firm_is_named_by_any_label_in_any_case_or_by_its_iri(
    kg: KnowledgeGraph, value: str, iri: str
) -> None:
    assert kg.catalogue.bind("counterparty-exposure", {"firm": value}) == {
        "firm": ox.NamedNode(iri)
    }


def test_a_person_is_named_the_same_way(kg: KnowledgeGraph) -> None:
    bound = kg.catalogue.bind("claims-and-sources", {"person": "sam altman"})

    assert bound == {"person": ox.NamedNode(PERSON + "sam-altman")}


@pytest.mark.parametrize("value", ["Acme", FIRM + "acme", PERSON + "sam-altman"])
def test_an_unknown_firm_lists_the_known_firm_names(kg: KnowledgeGraph, value: str) -> None:
    with pytest.raises(UnknownResource) as raised:
        kg.catalogue.bind("counterparty-exposure", {"firm": value})

    assert {"OpenAI", "Nvidia", "AMD", "Oracle", "Broadcom", "CoreWeave"} <= set(raised.value.known)
    assert "Sam Altman" not in raised.value.known


def test_injection_through_a_firm_name_is_an_unknown_firm_and_changes_nothing(
    kg: KnowledgeGraph,
) -> None:
    before = set(kg.store.quads())

    with pytest.raises(UnknownResource):
        kg.run_stored("counterparty-exposure", {"firm": INJECTION})

    assert set(kg.store.quads()) == before


def test_injection_through_a_string_is_one_literal_that_matches_nothing(
    kg: KnowledgeGraph, catalogue: StoredQueryCatalogue
) -> None:
    before = set(kg.store.quads())
    text = catalogue.get("labels").sparql

    bound = catalogue.bind("labels", {"label": INJECTION})
    rows = list(kg.store.query(text, substitutions=bound))  # type: ignore[arg-type]

    assert bound == {"label": ox.Literal(INJECTION)}
    assert rows == []
    assert catalogue.get("labels").sparql == text
    assert set(kg.store.quads()) == before


def test_stored_queries_answer_the_same_whatever_the_union_default_graph_setting(
    kg: KnowledgeGraph,
) -> None:
    def answers() -> dict[str, list[str]]:
        found = {}
        for name in kg.catalogue.names():
            params = {"firm": "OpenAI"} if name == "counterparty-exposure" else {}
            body = serialize_results(kg.run_stored(name, params), ox.QueryResultsFormat.JSON)
            found[name] = sorted(map(canonical_row, json.loads(body)["results"]["bindings"]))
        return found

    union = answers()
    kg.settings = dataclasses.replace(kg.settings, union_default_graph=False)
    strict = answers()

    assert strict == union
    assert any(union.values())
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    solutions = kg.query(count)
    assert isinstance(solutions, ox.QuerySolutions)
    assert next(solutions)["n"] == ox.Literal("0", datatype=ox.NamedNode(XSD + "integer"))


def canonical_row(row: dict[str, dict[str, str]]) -> str:
    """A row as text, with GROUP_CONCAT lists (" | ") sorted: their order is not defined."""
    values = {k: " | ".join(sorted(v["value"].split(" | "))) for k, v in row.items()}
    return json.dumps(values, sort_keys=True, ensure_ascii=False)


# --- what pyoxigraph's substitutions do (SEP-0007); the .rq files rely on it ---------------

EX = "http://example.org/"
SUBSTITUTION_DATA = f"""
<{EX}g> {{ <{EX}a> <{EX}name> "OpenAI" ; <{EX}pays> <{EX}b> . <{EX}b> <{EX}name> "Nvidia" . }}
"""


@pytest.fixture
def tiny() -> ox.Store:
    store = ox.Store()
    store.load(SUBSTITUTION_DATA.encode(), ox.RdfFormat.TRIG)
    return store


def solve(store: ox.Store, sparql: str, **values: ox.NamedNode | ox.Literal) -> list[list[str]]:
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
    substitutions = {ox.Variable(k): v for k, v in values.items()}
    result = store.query(sparql, use_default_graph_as_union=True, substitutions=substitutions)
    assert isinstance(result, ox.QuerySolutions)
    return sorted([str(term) for term in row] for row in result)


def test_substitution_binds_the_variable_in_patterns_and_filters(tiny: ox.Store) -> None:
    sparql = f"SELECT ?want ?x WHERE {{ ?x <{EX}name> ?n FILTER(?n = ?want) }}"

    assert solve(tiny, sparql, want=ox.Literal("Nvidia")) == [['"Nvidia"', f"<{EX}b>"]]


def test_coalesce_filters_when_bound_and_keeps_all_when_unbound(tiny: ox.Store) -> None:
    sparql = f"SELECT ?want ?x WHERE {{ ?x <{EX}name> ?n FILTER(?n = COALESCE(?want, ?n)) }}"

    assert len(solve(tiny, sparql, want=ox.Literal("Nvidia"))) == 1
    assert len(solve(tiny, sparql)) == 2


def test_bound_of_a_substituted_variable_is_false(tiny: ox.Store) -> None:
    """Why the catalogue refuses BOUND(?param) in a stored query."""
    sparql = f"SELECT ?want ?x WHERE {{ ?x <{EX}name> ?n FILTER(!BOUND(?want) || ?n = ?want) }}"

    assert len(solve(tiny, sparql, want=ox.Literal("Nvidia"))) == 2


def test_a_substituted_variable_must_be_projected(tiny: ox.Store) -> None:
    """Why the catalogue dry-runs every stored query with its parameters bound."""
    with pytest.raises(RuntimeError, match="SELECT projection"):
        solve(tiny, f"SELECT ?x WHERE {{ ?x <{EX}name> ?want }}", want=ox.Literal("Nvidia"))


def test_substitution_reaches_optional_and_subqueries(tiny: ox.Store) -> None:
    optional = (
        f"SELECT ?f ?x ?y WHERE {{ ?x <{EX}name> ?n "
        f"OPTIONAL {{ ?x <{EX}pays> ?y FILTER(?y = ?f) }} }}"
    )
    subquery = (
        f"SELECT ?f ?y WHERE {{ ?f <{EX}pays> ?y {{ SELECT ?f WHERE {{ ?f <{EX}name> ?n }} }} }}"
    )

    b = ox.NamedNode(EX + "b")
    assert solve(tiny, optional, f=b) == [
        [f"<{EX}b>", f"<{EX}a>", f"<{EX}b>"],
        [f"<{EX}b>", f"<{EX}b>", "None"],
    ]
    assert solve(tiny, subquery, f=ox.NamedNode(EX + "a")) == [[f"<{EX}a>", f"<{EX}b>"]]
    assert solve(tiny, subquery, f=b) == []
