"""`aicap`: every command and exit status of CONTRACT.md, through CliRunner and the real binary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from aicap.cli import main
from kg.bundled import BUNDLE_DIR
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.namespaces import AICAP, ARTICLE_GRAPH, AUDIT_GRAPH, LOADS_GRAPH
from kg.store.protocol import Change

TEST_DATA = Path(__file__).parents[1] / "data"
GOOD = TEST_DATA / "new-claim.ttl"
UNQUOTED = TEST_DATA / "claim-without-quote.ttl"
MALFORMED = TEST_DATA / "malformed.ttl"
LOADS = ox.NamedNode(str(LOADS_GRAPH))
AUDIT = ox.NamedNode(str(AUDIT_GRAPH))


def aicap(settings: Settings, *args: str | Path) -> Result:
    """Run `aicap ARGS` in-process with `settings` as the environment's settings."""
    return CliRunner().invoke(main, [str(a) for a in args], obj=settings)


def stored(settings: Settings) -> set[ox.Quad]:
    """Every quad of the store at `settings.data_dir`, read after the command closed it."""
    with KnowledgeGraph.open(settings) as kg:
        return set(kg.store.quads())


def test_load_of_a_conforming_file_exits_0_and_writes_it(settings: Settings) -> None:
    result = aicap(settings, "load", GOOD)

    assert result.exit_code == 0, result.output
    assert f"loaded {GOOD}: 3 quads into <{settings.base_iri}graph/load/" in result.stdout
    claim = ox.NamedNode("https://w3id.org/aicap/id/claim/test/revenue")
    assert any(q.subject == claim for q in stored(settings))


def test_load_into_a_named_graph(settings: Settings) -> None:
    result = aicap(settings, "load", GOOD, "--graph", "http://example.org/mine")

    assert result.exit_code == 0, result.output
    graph = ox.NamedNode("http://example.org/mine")
    assert sum(q.graph_name == graph for q in stored(settings)) == 3


def test_load_of_the_same_file_twice_exits_3_naming_the_earlier_load_and_writes_nothing(
    settings: Settings,
) -> None:
    first = aicap(settings, "load", GOOD)
    before = stored(settings)

    again = aicap(settings, "load", GOOD)

    assert first.exit_code == 0, first.output
    assert again.exit_code == 3, again.output
    assert f"<{settings.base_iri}id/load/" in again.stderr
    assert "loaded before, from new-claim.ttl at " in again.stderr
    assert "--replace" in again.stderr
    assert stored(settings) == before


def test_load_of_a_different_file_after_one_exits_0(settings: Settings, tmp_path: Path) -> None:
    other = tmp_path / "other-claim.ttl"
    other.write_text(GOOD.read_text().replace("test/revenue", "test/revenue-again"))
    aicap(settings, "load", GOOD)

    result = aicap(settings, "load", other)

    assert result.exit_code == 0, result.output
    claim = ox.NamedNode("https://w3id.org/aicap/id/claim/test/revenue-again")
    assert any(q.subject == claim for q in stored(settings))


def test_load_replace_swaps_the_earlier_load(settings: Settings) -> None:
    aicap(settings, "load", GOOD)
    after_one = stored(settings)

    result = aicap(settings, "load", "--replace", GOOD)

    assert result.exit_code == 0, result.output
    assert f"replaced the load <{settings.base_iri}id/load/" in result.stdout
    after = stored(settings)
    data = [q for q in after if q.graph_name not in (LOADS, AUDIT)]
    assert len(data) == len([q for q in after_one if q.graph_name not in (LOADS, AUDIT)])
    operation = ox.NamedNode(str(AICAP.writeOperation))
    assert any(q.predicate == operation and q.object.value == "replacing load" for q in after)


def test_load_that_breaks_a_shape_exits_1_with_the_report_and_writes_nothing(
    settings: Settings,
) -> None:
    before = stored(settings)

    result = aicap(settings, "load", GOOD, UNQUOTED)

    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert "https://w3id.org/aicap/id/claim/test/unquoted" in result.stderr  # focus node
    assert "https://w3id.org/aicap/ontology#quote" in result.stderr  # path
    assert "https://w3id.org/aicap/shapes#Claim-quote" in result.stderr  # shape
    assert "Traceback" not in result.output
    assert stored(settings) == before


def test_load_of_malformed_rdf_exits_2_naming_file_and_line_and_writes_nothing(
    settings: Settings,
) -> None:
    before = stored(settings)

    result = aicap(settings, "load", GOOD, MALFORMED)

    assert result.exit_code == 2
    assert f"{MALFORMED}: line 4, column 5" in result.stderr
    assert "A dot is expected" in result.stderr
    assert stored(settings) == before


def test_load_of_an_unknown_suffix_exits_2_listing_the_accepted_ones(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"PK")

    result = aicap(settings, "load", path)

    assert result.exit_code == 2
    assert ".ttl" in result.stderr and ".jsonld" in result.stderr


def test_load_of_a_missing_file_exits_2(settings: Settings, tmp_path: Path) -> None:
    result = aicap(settings, "load", tmp_path / "absent.ttl")

    assert result.exit_code == 2
    assert "absent.ttl" in result.stderr


def test_validate_of_a_conforming_file_exits_0_and_writes_nothing(settings: Settings) -> None:
    before = stored(settings)

    result = aicap(settings, "validate", GOOD)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Conforms: True")
    assert stored(settings) == before


def test_validate_of_a_shape_breaking_file_exits_1_and_writes_nothing(
    settings: Settings,
) -> None:
    before = stored(settings)

    result = aicap(settings, "validate", UNQUOTED, "--format", "json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    (violation,) = report["results"]
    assert violation["focusNode"] == "https://w3id.org/aicap/id/claim/test/unquoted"
    assert violation["resultPath"] == "https://w3id.org/aicap/ontology#quote"
    assert violation["sourceShape"] == "https://w3id.org/aicap/shapes#Claim-quote"
    assert stored(settings) == before


def test_validate_of_malformed_rdf_exits_2(settings: Settings) -> None:
    result = aicap(settings, "validate", MALFORMED)

    assert result.exit_code == 2
    assert "line 4" in result.stderr


def test_validate_without_files_checks_the_bundled_graph_which_conforms(
    settings: Settings,
) -> None:
    result = aicap(settings, "validate", "--format", "turtle")

    assert result.exit_code == 0, result.output
    report = list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.TURTLE))
    assert any(q.predicate.value.endswith("#conforms") for q in report)


def test_stored_query_exits_0_with_sparql_json(settings: Settings) -> None:
    result = aicap(
        settings, "query", "counterparty-exposure", "--param", "firm=OpenAI", "--format", "json"
    )

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert "counterparty" in answer["head"]["vars"]
    names = {row["counterpartyLabel"]["value"] for row in answer["results"]["bindings"]}
    assert {"Nvidia", "AMD", "Oracle", "Broadcom", "CoreWeave"} <= names


def test_stored_query_prints_a_table_by_default(settings: Settings) -> None:
    result = aicap(settings, "query", "loi-only-obligations")

    assert result.exit_code == 0, result.output
    assert "id:agreement/nvidia-openai" in result.stdout
    assert result.stdout.rstrip().endswith("rows)")


def test_unknown_query_exits_2_listing_the_names(settings: Settings) -> None:
    result = aicap(settings, "query", "nope")

    assert result.exit_code == 2
    assert "no stored query named 'nope'" in result.stderr
    assert "counterparty-exposure" in result.stderr and "loi-only-obligations" in result.stderr


def test_missing_parameter_exits_2_naming_it(settings: Settings) -> None:
    result = aicap(settings, "query", "counterparty-exposure")

    assert result.exit_code == 2
    assert "'firm'" in result.stderr


@pytest.mark.parametrize(
    ("param", "complaint"),
    [
        ("firm=Acme", "no firm named 'Acme'"),
        ("firm", "is not KEY=VALUE"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameter_exits_2_naming_it(settings: Settings, param: str, complaint: str) -> None:
    result = aicap(settings, "query", "counterparty-exposure", "--param", param)

    assert result.exit_code == 2
    assert complaint in result.stderr


def test_ad_hoc_query_exits_0(settings: Settings, tmp_path: Path) -> None:
    query = tmp_path / "count.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")

    result = aicap(settings, "query", "--file", query, "--format", "csv")

    assert result.exit_code == 0, result.output
    header, count = result.stdout.split()
    assert header == "n" and int(count) > 1000


def test_ad_hoc_construct_prints_a_graph_syntax(settings: Settings) -> None:
    sparql = "CONSTRUCT WHERE { ?s a <https://w3id.org/aicap/ontology#Person> } LIMIT 2"

    result = aicap(settings, "query", "--sparql", sparql, "--format", "ntriples")

    assert result.exit_code == 0, result.output
    assert len(list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_TRIPLES))) == 2


def test_query_syntax_error_exits_2_with_the_position(settings: Settings) -> None:
    result = aicap(settings, "query", "--sparql", "SELECT * WHERE {\n  ?s ?p ?o\n  FILTR }")

    assert result.exit_code == 2
    assert "syntax error" in result.stderr
    assert "at line 3, column " in result.stderr  # line 3, where FILTR stands
    assert "  3 |   FILTR }\n" in result.stderr


def test_query_syntax_error_shows_the_line_with_a_caret_and_no_character_ranges(
    settings: Settings,
) -> None:
    result = aicap(settings, "query", "--sparql", "SELECT * WHERE { ?s ?p }")

    assert result.exit_code == 2
    heading, shown, caret = result.stderr.splitlines()
    assert heading.startswith("aicap query: SPARQL syntax error at line 1, column 25: expected ")
    assert shown == "  1 | SELECT * WHERE { ?s ?p }"
    assert caret == "    |                         ^ end of input"
    assert "..=" not in result.stderr


def test_query_needs_exactly_one_of_name_sparql_file(settings: Settings) -> None:
    result = aicap(settings, "query", "nope", "--sparql", "ASK {}")

    assert result.exit_code == 2
    assert "exactly one of" in result.stderr


def test_export_round_trip_through_an_empty_data_dir(settings: Settings, tmp_path: Path) -> None:
    assert aicap(settings, "load", GOOD).exit_code == 0
    dump = tmp_path / "dump.nq"
    result = aicap(settings, "export", "--format", "nq", "--out", dump)
    assert result.exit_code == 0, result.output
    exported = list(ox.parse(path=dump))
    empty = empty_project(tmp_path / "empty-project")
    target = Settings(data_dir=tmp_path / "target", bundle_dir=empty)

    result = aicap(target, "load", dump)

    assert result.exit_code == 0, result.output
    after = stored(target)
    # Each load adds its own records (the loads and audit graphs); the data round-trips.
    records = (LOADS, AUDIT)
    assert sum(q.graph_name not in records for q in after) == sum(
        q.graph_name not in records for q in exported
    )
    assert {q for q in exported if q.graph_name in records} < after
    assert stored(settings) >= {q for q in after if q.graph_name not in records and not blank(q)}


def blank(quad: ox.Quad) -> bool:
    """Whether a quad has a blank node (renamed apart on load, so not comparable)."""
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def empty_project(root: Path) -> Path:
    """A project with the real shapes and queries and no bundled data: its store starts empty."""
    for name in ("shapes", "queries"):
        root.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(BUNDLE_DIR / name)
    (root / "ontology").mkdir()
    (root / "data").mkdir()
    return root


def test_export_of_one_graph_to_stdout(settings: Settings) -> None:
    result = aicap(settings, "export", "--format", "ttl", "--graph", str(ARTICLE_GRAPH))

    assert result.exit_code == 0, result.output
    assert list(ox.parse(result.stdout_bytes, format=ox.RdfFormat.TURTLE))


def test_export_of_an_unknown_graph_exits_2_and_leaves_no_file(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "out.trig"

    result = aicap(settings, "export", "--graph", "http://example.org/nope", "--out", out)

    assert result.exit_code == 2
    assert str(ARTICLE_GRAPH) in result.stderr
    assert list(tmp_path.iterdir()) == [settings.data_dir]


def test_reason_on_the_bundled_data_exits_0(settings: Settings) -> None:
    result = aicap(settings, "reason")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("consistent:")


def test_reason_on_inconsistent_data_exits_1_naming_the_culprits(settings: Settings) -> None:
    deal = ox.NamedNode("http://example.org/deal")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    graph = ox.NamedNode("http://example.org/g")
    with KnowledgeGraph.open(settings) as kg:  # straight to the store: the shapes would refuse
        kg.store.apply_change(
            Change(
                added=[
                    ox.Quad(deal, rdf_type, ox.NamedNode(str(AICAP.LetterOfIntent)), graph),
                    ox.Quad(deal, rdf_type, ox.NamedNode(str(AICAP.Contract)), graph),
                ]
            )
        )

    result = aicap(settings, "reason")

    assert result.exit_code == 1
    assert "http://example.org/deal" in result.stderr
    assert "Traceback" not in result.output


def test_data_dir_comes_from_the_environment_and_the_flag_overrides_it(tmp_path: Path) -> None:
    runner = CliRunner(env={"AICAP_DATA_DIR": str(tmp_path / "from-env")})

    assert runner.invoke(main, ["query", "gpu-rental-margin"]).exit_code == 0
    flagged = ["query", "gpu-rental-margin", "--data-dir", str(tmp_path / "from-flag")]
    assert runner.invoke(main, flagged).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["from-env", "from-flag"]


# --- the installed command, in its own process ---------------------------------------------

AICAP_COMMAND = Path(sys.executable).parent / "aicap"


def run_installed(*args: str | Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AICAP_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [str(AICAP_COMMAND), *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )


def test_installed_command_exits_2_on_unknown_query_and_malformed_rdf(tmp_path: Path) -> None:
    unknown = run_installed("query", "nope", data_dir=tmp_path / "store")
    malformed = run_installed("load", MALFORMED, data_dir=tmp_path / "store")
    loaded = run_installed("load", GOOD, data_dir=tmp_path / "store")

    assert unknown.returncode == 2, unknown.stderr
    assert "known queries:" in unknown.stderr and "circular-flows" in unknown.stderr
    assert malformed.returncode == 2, malformed.stderr
    assert f"{MALFORMED}: line 4" in malformed.stderr
    assert "Traceback" not in unknown.stderr + malformed.stderr
    assert loaded.returncode == 0, loaded.stderr
