"""Time full SHACL validation against validating a 100-triple change in context.

Generates a store shaped like the domain (firms of several kinds, agreements of each
bindingness, payment and compute obligations with blank-node amounts, claims with quotes
and sources), with its own small ontology and shapes so the figures do not move when the
project's shapes do. Full validation is skipped above --full-limit triples (it takes
minutes at 300k).

    python bench/validate_change.py --triples 300000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Graph

from kg.store.embedded import EmbeddedStore
from kg.store.protocol import Change
from kg.validation.report import ValidationReport
from kg.validation.scoping import scope_change
from kg.validation.shacl import validate_change, validate_store

A = "https://w3id.org/aicap/ontology#"
ID = "https://w3id.org/aicap/id/"
PROV = "http://www.w3.org/ns/prov#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATA_GRAPH = ox.NamedNode("https://w3id.org/aicap/graph/bench")
TRIPLES_PER_DEAL = 25
TRIPLES_PER_FIRM = 2
DEALS_PER_FIRM = 10
CHANGE_DEALS = 4
_T = TypeVar("_T")
Triple = tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]

PREFIXES = f"""
@prefix aicap: <{A}> . @prefix prov: <{PROV}> . @prefix rdfs: <{RDFS}> .
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix xsd: <{XSD}> . @prefix rdf: <{RDF}> .
"""
ONTOLOGY = """
aicap:ChipMaker rdfs:subClassOf aicap:Firm . aicap:CloudProvider rdfs:subClassOf aicap:Firm .
aicap:ModelDeveloper rdfs:subClassOf aicap:Firm . aicap:Lender rdfs:subClassOf aicap:Firm .
aicap:Bank rdfs:subClassOf aicap:Lender .
aicap:LetterOfIntent rdfs:subClassOf aicap:Agreement .
aicap:TermSheet rdfs:subClassOf aicap:Agreement .
aicap:DefinitiveAgreement rdfs:subClassOf aicap:Agreement .
aicap:PaymentObligation rdfs:subClassOf aicap:Obligation .
aicap:ComputeObligation rdfs:subClassOf aicap:Obligation .
"""
SHAPES = """
aicap:FirmShape a sh:NodeShape ; sh:targetClass aicap:Firm ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:datatype xsd:string ] .
aicap:AgreementShape a sh:NodeShape ; sh:targetClass aicap:Agreement ;
  sh:property [ sh:path aicap:party ; sh:class aicap:Firm ; sh:minCount 2 ] ;
  sh:property [ sh:path aicap:bindingness ; sh:minCount 1 ; sh:maxCount 1 ;
                sh:in ( aicap:Binding aicap:NonBinding ) ] ;
  sh:property [ sh:path aicap:signedOn ; sh:datatype xsd:date ; sh:maxCount 1 ] ;
  sh:property [ sh:path [ sh:inversePath aicap:restsOn ] ; sh:class aicap:Obligation ] ;
  sh:property [ sh:path [ sh:inversePath aicap:restsOn ] ; sh:minCount 1 ;
                sh:severity sh:Warning ] .
aicap:ObligationShape a sh:NodeShape ; sh:targetClass aicap:Obligation ;
  sh:property [ sh:path aicap:restsOn ; sh:class aicap:Agreement ; sh:minCount 1 ] ;
  sh:property [ sh:path aicap:debtor ; sh:class aicap:Firm ; sh:minCount 1 ; sh:maxCount 1 ] ;
  sh:property [ sh:path aicap:creditor ; sh:class aicap:Firm ; sh:maxCount 1 ] ;
  sh:property [ sh:path aicap:amount ; sh:node aicap:AmountShape ;
                sh:minCount 1 ; sh:maxCount 1 ] .
aicap:AmountShape a sh:NodeShape ;
  sh:property [ sh:path aicap:value ; sh:datatype xsd:decimal ; sh:minExclusive 0 ;
                sh:minCount 1 ; sh:maxCount 1 ] ;
  sh:property [ sh:path aicap:unit ; sh:in ( aicap:USD aicap:GW ) ; sh:minCount 1 ] .
aicap:ClaimShape a sh:NodeShape ; sh:targetClass aicap:Claim ;
  sh:property [ sh:path prov:wasDerivedFrom ; sh:class aicap:Source ; sh:minCount 1 ] ;
  sh:property [ sh:path aicap:quote ; sh:datatype rdf:langString ; sh:minCount 1 ] ;
  sh:property [ sh:path aicap:about ; sh:minCount 1 ;
                sh:or ( [ sh:class aicap:Agreement ] [ sh:class aicap:Obligation ] ) ] .
aicap:SourceShape a sh:NodeShape ; sh:targetClass aicap:Source ;
  sh:property [ sh:path rdfs:label ; sh:minCount 1 ] .
"""
FIRM_KINDS = ("ChipMaker", "CloudProvider", "ModelDeveloper", "Bank")
AGREEMENT_KINDS = (
    ("LetterOfIntent", "NonBinding"),
    ("TermSheet", "NonBinding"),
    ("DefinitiveAgreement", "Binding"),
)


def iri(base: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(base + local)


def firm_quads(i: int) -> Iterator[Triple]:
    firm = iri(ID, f"firm/{i}")
    yield firm, iri(RDF, "type"), iri(A, FIRM_KINDS[i % len(FIRM_KINDS)])
    yield firm, iri(RDFS, "label"), ox.Literal(f"Firm {i}")


def deal_quads(i: int, firms: int, sources: int) -> Iterator[Triple]:
    """One agreement, two obligations with blank amounts, one claim: 25 triples."""
    kind, binding = AGREEMENT_KINDS[i % len(AGREEMENT_KINDS)]
    deal, claim = iri(ID, f"agreement/{i}"), iri(ID, f"claim/{i}")
    other = (i % firms + 1 + i % (firms - 1)) % firms  # never the buyer
    buyer, seller = iri(ID, f"firm/{i % firms}"), iri(ID, f"firm/{other}")
    yield deal, iri(RDF, "type"), iri(A, kind)
    yield deal, iri(RDFS, "label"), ox.Literal(f"Deal {i}")
    yield deal, iri(A, "party"), buyer
    yield deal, iri(A, "party"), seller
    yield deal, iri(A, "bindingness"), iri(A, binding)
    yield deal, iri(A, "signedOn"), ox.Literal("2025-10-06", datatype=iri(XSD, "date"))
    for j, (kind_j, unit, value) in enumerate(
        (("PaymentObligation", "USD", "1e11"), ("ComputeObligation", "GW", "6.0"))
    ):
        obligation, amount = iri(ID, f"obligation/{i}-{j}"), ox.BlankNode()
        yield obligation, iri(RDF, "type"), iri(A, kind_j)
        yield obligation, iri(A, "restsOn"), deal
        yield obligation, iri(A, "debtor"), buyer
        yield obligation, iri(A, "creditor"), seller
        yield obligation, iri(A, "amount"), amount
        yield amount, iri(A, "value"), ox.Literal(str(float(value)), datatype=iri(XSD, "decimal"))
        yield amount, iri(A, "unit"), iri(A, unit)
    yield claim, iri(RDF, "type"), iri(A, "Claim")
    yield claim, iri(PROV, "wasDerivedFrom"), iri(ID, f"source/{i % sources}")
    yield claim, iri(A, "quote"), ox.Literal(f"第{i}笔交易", language="zh")
    yield claim, iri(A, "about"), deal
    yield claim, iri(A, "statedOn"), ox.Literal("2025-10-06", datatype=iri(XSD, "date"))


def deal_and_firm_counts(triples: int) -> tuple[int, int]:
    per_deal = TRIPLES_PER_DEAL + TRIPLES_PER_FIRM / DEALS_PER_FIRM
    deals = max(int(triples / per_deal), 1)
    return deals, max(deals // DEALS_PER_FIRM, 2)


def domain_quads(triples: int) -> Iterator[ox.Quad]:
    """Quads for a store of about `triples` triples (firms, sources, deals)."""
    deals, firms = deal_and_firm_counts(triples)
    sources = 3
    for s in range(sources):
        source = iri(ID, f"source/{s}")
        yield ox.Quad(source, iri(RDF, "type"), iri(A, "Source"), DATA_GRAPH)
        yield ox.Quad(source, iri(RDFS, "label"), ox.Literal(f"Source {s}"), DATA_GRAPH)
    for f in range(firms):
        yield from (ox.Quad(*t, DATA_GRAPH) for t in firm_quads(f))
    for d in range(deals):
        yield from (ox.Quad(*t, DATA_GRAPH) for t in deal_quads(d, firms, sources))


def new_deals(triples: int) -> Change:
    """A change of 100 triples: new deals between existing firms, on existing sources."""
    deals, firms = deal_and_firm_counts(triples)
    quads = [
        ox.Quad(*t, DATA_GRAPH)
        for d in range(deals, deals + CHANGE_DEALS)
        for t in deal_quads(d, firms, 3)
    ]
    return Change(added=quads)


def timed(action: Callable[[], _T]) -> tuple[float, _T]:
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def verdict(report: ValidationReport) -> str:
    return (
        f"conforms={report.conforms}, {len(report.violations)} violations, "
        f"{len(report.warnings)} warnings"
    )


def run(triples: int, full_limit: int, repeats: int, data_dir: Path | None) -> None:
    shapes = Graph().parse(data=PREFIXES + SHAPES, format="turtle")
    ontology = Graph().parse(data=PREFIXES + ONTOLOGY, format="turtle")
    store = EmbeddedStore(data_dir)
    load_ms, _ = timed(lambda: store.bulk_add(domain_quads(triples)))
    good = new_deals(triples)
    bad = Change(
        added=[*good.added, ox.Quad(good.added[0].subject, iri(A, "bindingness"), iri(A, "Maybe"))]
    )
    where = "in memory" if data_dir is None else "on disk"
    print(f"store: {store.count():,} triples {where} (generated in {load_ms:,.0f} ms)")
    print(f"change: {len(good)} triples added ({CHANGE_DEALS} deals on existing firms)")

    if store.count() <= full_limit:
        full_ms, full = timed(lambda: validate_store(store, shapes, ontology))
        print(f"  full validation (validate_store)      {full_ms:>10,.1f} ms   {verdict(full)}")
    else:
        print(f"  full validation (validate_store)      {'skipped':>10}      above --full-limit")

    cold_ms, report = timed(lambda: validate_change(store, good, shapes, ontology))
    warm = [
        timed(lambda: validate_change(store, good, shapes, ontology))[0] for _ in range(repeats)
    ]
    bad_ms, bad_report = timed(lambda: validate_change(store, bad, shapes, ontology))
    scope = scope_change(store, good, shapes, ontology)
    print(f"  validate_change, first call (compile)  {cold_ms:>10,.1f} ms   {verdict(report)}")
    print(
        f"  validate_change, median of {repeats:<3}        {statistics.median(warm):>10,.1f} ms   "
        f"{len(scope.focus_nodes)} focus nodes, {len(scope.graph)} triples read"
    )
    print(f"  validate_change, change with an error  {bad_ms:>10,.1f} ms   {verdict(bad_report)}")
    busy = Change(removed=list(store.quads(iri(ID, "firm/0"), iri(RDF, "type"))))
    busy_ms, busy_report = timed(lambda: validate_change(store, busy, shapes, ontology))
    busy_scope = scope_change(store, busy, shapes, ontology)
    print(
        f"  validate_change, remove a firm's type   {busy_ms:>10,.1f} ms   "
        f"{len(busy_scope.focus_nodes)} focus nodes, {len(busy_report.violations)} violations"
    )
    if store.count() <= full_limit:
        store.apply_change(bad)
        after_ms, full_after = timed(lambda: validate_store(store, shapes, ontology))
        same = set(full_after.results) == set(bad_report.results)
        print(
            f"  full validation of store + bad change  {after_ms:>10,.1f} ms   same results: {same}"
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--triples", type=int, default=300_000, help="store size (default 300000)")
    parser.add_argument(
        "--full-limit", type=int, default=30_000, help="skip full validation above this size"
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed validate_change runs")
    parser.add_argument("--memory", action="store_true", help="in-memory store instead of disk")
    args = parser.parse_args()
    if args.memory:
        run(args.triples, args.full_limit, args.repeats, None)
        return
    with tempfile.TemporaryDirectory(prefix="aicap-bench-") as tmp:
        run(args.triples, args.full_limit, args.repeats, Path(tmp) / "store")


if __name__ == "__main__":
    main()
