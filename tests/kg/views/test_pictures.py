"""The pictures are drawn from the graph's data: they show what the stored
queries answer, and they change when the data does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.config import Settings
from kg.errors import BadParameter, UnknownResource
from kg.graph import KnowledgeGraph
from kg.query.solutions import run_stored_table, solution_table
from kg.views.charts import Flow, FlowDiagram, draw_flow_diagram
from kg.views.figures import gigawatts, shares, usd
from kg.views.pictures import PICTURES, flow_diagram, render_picture

SVG = "{http://www.w3.org/2000/svg}"

NEW_LOOP = """\
@prefix aicap: <https://w3id.org/aicap/ontology#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov:  <http://www.w3.org/ns/prov#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .
@prefix firm:  <https://w3id.org/aicap/id/firm/> .
@prefix claim: <https://w3id.org/aicap/id/claim/test/> .
@prefix src:   <https://w3id.org/aicap/id/source/> .
@prefix agr:   <https://w3id.org/aicap/id/agreement/> .
@prefix obl:   <https://w3id.org/aicap/id/obligation/> .
@prefix inv:   <https://w3id.org/aicap/id/investment/> .

# A new supplier in a new loop: OpenAI commits 4 GW (USD 50 billion) to Helios Compute on a
# letter of intent, and Helios invests USD 5 billion in OpenAI.
<https://w3id.org/aicap/graph/test-helios> {
    claim:helios a aicap:Claim ;
        prov:wasDerivedFrom src:article-ai-capital-cycle ;
        aicap:mentions firm:helios , firm:openai ;
        aicap:quote "Helios Compute and OpenAI sign a letter of intent: 4 GW for USD 50 billion; \
Helios invests USD 5 billion in OpenAI."@en .
    firm:helios a aicap:CloudProvider ; rdfs:label "Helios Compute" ;
        aicap:statedIn claim:helios .
    agr:helios-openai a aicap:LetterOfIntent ;
        aicap:party firm:helios , firm:openai ;
        aicap:signedOn "2025-11-01"^^xsd:date ;
        aicap:statedIn claim:helios .
    obl:openai-helios-4gw a aicap:ComputeCapacityObligation ;
        aicap:fromParty firm:openai ; aicap:toParty firm:helios ;
        aicap:amountUSD 50000000000.0 ; aicap:gigawatts 4.0 ;
        aicap:restsOn agr:helios-openai ;
        aicap:statedIn claim:helios .
    inv:helios-openai a aicap:Investment ;
        aicap:fromParty firm:helios ; aicap:toParty firm:openai ;
        aicap:amountUSD 5000000000.0 ;
        aicap:statedIn claim:helios .
}
"""


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """The bundled data, shared by the tests that only read."""
    graph = KnowledgeGraph.open(Settings(data_dir=tmp_path_factory.mktemp("pictures") / "store"))
    yield graph
    graph.close()


def svg_text(svg: bytes) -> str:
    """All the text of an SVG document (it must parse as XML)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("money-loops", ["OpenAI", "Nvidia", "AMD", "CoreWeave", "Oracle", "USD 300 bn", "10 GW"]),
        (
            "commitments-vs-revenue",
            ["OpenAI", "USD 1 tn", "USD 322.4 bn", "USD 12 bn", "83\N{MULTIPLICATION SIGN}"],
        ),
        (
            "gigawatts-by-supplier",
            [
                "Nvidia",
                "Broadcom",
                "AMD",
                "26 GW",
                "nuclear plants",
                "non-binding agreements (20 GW)",
            ],
        ),
    ],
)
def test_each_picture_is_an_svg_of_what_its_queries_answer(
    bundled: KnowledgeGraph, name: str, expected: list[str]
) -> None:
    text = svg_text(render_picture(bundled, name))
    for label in expected:
        assert label in text, f"{name}: {label!r} missing from {text!r}"


def test_the_same_data_draws_the_same_bytes(bundled: KnowledgeGraph) -> None:
    for name in PICTURES:
        assert render_picture(bundled, name) == render_picture(bundled, name), name


def test_money_loops_dash_the_transfers_that_rest_only_on_letters_of_intent(
    bundled: KnowledgeGraph,
) -> None:
    from kg.views.pictures import FLOWS_QUERY

    loops = run_stored_table(bundled, "circular-flows", {})
    loi_only = {
        r["obligation"].value for r in run_stored_table(bundled, "loi-only-obligations", {})
    }
    flows = solution_table(bundled.query(FLOWS_QUERY, union_default_graph=True))
    diagram = flow_diagram(loops, flows, loi_only)
    binding = {(f.source.rsplit("/", 1)[1], f.target.rsplit("/", 1)[1], f.kind): f.binding
               for f in diagram.flows}  # fmt: skip
    assert binding[("openai", "nvidia", "compute capacity obligation")] is False  # LOI
    assert binding[("nvidia", "openai", "investment commitment")] is False  # same LOI
    assert binding[("openai", "amd", "compute capacity obligation")] is True  # definitive
    assert binding[("amd", "openai", "warrant")] is True
    assert diagram.loop_count == len(loops) > 0
    svg = draw_flow_diagram(diagram).decode()
    assert "stroke-dasharray" in svg  # the non-binding arrows


def test_pictures_change_when_a_new_obligation_is_loaded(
    kg: KnowledgeGraph, tmp_path: Path
) -> None:
    before = {name: render_picture(kg, name) for name in PICTURES}
    assert "Helios Compute" not in svg_text(before["money-loops"])
    new_loop = tmp_path / "helios.trig"
    new_loop.write_text(NEW_LOOP, encoding="utf-8")
    kg.load([new_loop])
    after = {name: render_picture(kg, name) for name in PICTURES}
    for name in PICTURES:
        assert after[name] != before[name], f"{name} did not change"
    assert "Helios Compute" in svg_text(after["money-loops"])
    assert "USD 50 bn" in svg_text(after["money-loops"])
    assert "Helios Compute" in svg_text(after["gigawatts-by-supplier"])
    assert "30 GW in all" in svg_text(after["gigawatts-by-supplier"])
    assert "USD 372.4 bn" in svg_text(after["commitments-vs-revenue"])  # 322.4 + 50


def test_commitments_take_another_firm(bundled: KnowledgeGraph) -> None:
    text = svg_text(render_picture(bundled, "commitments-vs-revenue", {"firm": "nvidia"}))
    assert "Nvidia" in text
    assert "not stated" in text  # no stated total, no revenue in the graph


def test_an_unknown_picture_lists_the_known_ones(bundled: KnowledgeGraph) -> None:
    with pytest.raises(UnknownResource) as raised:
        render_picture(bundled, "pie-chart")
    assert raised.value.known == [p.filename for p in PICTURES.values()]


def test_a_parameter_a_picture_does_not_take_is_refused(bundled: KnowledgeGraph) -> None:
    with pytest.raises(BadParameter, match="takes no parameter firm"):
        render_picture(bundled, "money-loops", {"firm": "OpenAI"})
    with pytest.raises(UnknownResource):
        render_picture(bundled, "commitments-vs-revenue", {"firm": "Nobody Inc"})


def test_labels_from_the_data_are_escaped_in_the_svg() -> None:
    hostile = "<script>alert(1)</script> & Co"
    diagram = FlowDiagram(
        labels={"urn:a": hostile, "urn:b": "B"},
        flows=(Flow("urn:a", "urn:b", "payment </text>"), Flow("urn:b", "urn:a", "equity")),
        loop_count=1,
    )
    svg = draw_flow_diagram(diagram)
    assert b"<script" not in svg
    assert hostile in svg_text(svg)


def test_an_empty_graph_draws_a_note_not_an_error() -> None:
    text = svg_text(draw_flow_diagram(FlowDiagram(labels={}, flows=(), loop_count=0)))
    assert "no circular flows" in text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (1e12, "USD 1 tn"),
        (3.224e11, "USD 322.4 bn"),
        (1.2e10, "USD 12 bn"),
        (3.5e8, "USD 350 m"),
        (950.0, "USD 950"),
    ],
)
def test_pictures_write_amounts_as_the_pages_do(amount: float, text: str) -> None:
    assert usd(amount) == text  # the floats of the drawing, through kg.views.figures


def test_picture_quantities_drop_trailing_zeros() -> None:
    assert gigawatts(10.0) == "10 GW"
    assert gigawatts(6.5) == "6.5 GW"
    assert shares(160_000_000) == "160 million shares"
