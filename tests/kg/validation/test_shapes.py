"""The SHACL shapes of shapes/: the bundled data conforms, and no shape
is decoration.

pyshacl is called directly, independent of kg/validation/: the data graph is the union
of data/*.trig with the ontology merged in (SHACL follows rdfs:subClassOf in the data
graph). Each mutation case changes the bundled data by a few triples and expects one new
result: its source shape (and the node shape it belongs to), constraint component, focus
node and severity. The coverage tests then require a case for every node shape and for
every constraint each named shape declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from pyshacl import validate
from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[3]
SHAPE = Namespace("https://w3id.org/aicap/shapes#")
ID = "https://w3id.org/aicap/id/"
PREFIXES = {
    "aicap": "https://w3id.org/aicap/ontology#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": str(RDFS),
    "prov": "http://www.w3.org/ns/prov#",
    "dct": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "src": ID + "source/",
    "firm": ID + "firm/",
    "org": ID + "org/",
    "person": ID + "person/",
    "role": ID + "role/",
    "claim": ID + "claim/article/",
    "pclaim": ID + "claim/announcements/",
    "agr": ID + "agreement/",
    "obl": ID + "obligation/",
    "inv": ID + "investment/",
    "grant": ID + "grant/",
    "tranche": ID + "tranche/",
    "credit": ID + "credit/",
    "supply": ID + "supply/",
    "fact": ID + "fact/",
}
TURTLE_PREFIXES = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())

# The SHACL parameters whose constraint component is named after them (sh:minCount ->
# sh:MinCountConstraintComponent); the coverage test reads them off each named shape.
PARAMETERS = (
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "in", "hasValue",
    "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or", "xone", "node",
    "closed", "uniqueLang", "languageIn", "qualifiedValueShape",
)  # fmt: skip


class Result(NamedTuple):
    """One validation result, as the tests compare it."""

    focus: Node | None
    shape: Node | None
    component: Node | None
    severity: Node | None


@dataclass(frozen=True)
class Case:
    """A mutation of the bundled data and the one result it must add.

    `shape` is the result's sh:sourceShape (a local name in shapes#), `component` the
    constraint component without its suffix, `focus` a CURIE; `add` and `remove` are
    Turtle, and every removed triple must be in the bundled data.
    """

    behaviour: str
    shape: str
    component: str
    focus: str
    add: str = ""
    remove: str = ""
    severity: str = "Violation"

    @property
    def node_shape(self) -> str:
        """The node shape by the naming convention: `Class-property` belongs to ClassShape."""
        return self.shape if self.shape.endswith("Shape") else self.shape.split("-")[0] + "Shape"

    @property
    def id(self) -> str:
        verb = "breaks" if self.severity == "Violation" else "warns"
        return f"{self.behaviour}_{verb}_{self.node_shape}"

    def expected(self) -> Result:
        return Result(
            curie(self.focus),
            SHAPE[self.shape],
            SH[self.component + "ConstraintComponent"],
            SH[self.severity],
        )


def replace(subject_predicate: str, old: str, new: str) -> dict[str, str]:
    """Case arguments that replace the object `old` of `subject_predicate` by `new`."""
    return {"remove": f"{subject_predicate} {old} .", "add": f"{subject_predicate} {new} ."}


def curie(name: str) -> URIRef:
    prefix, local = name.split(":", 1)
    return URIRef(PREFIXES[prefix] + local)


AMD_WARRANT = "grant:amd-openai-warrant"

CASES = [
    # ---- provenance.ttl ------------------------------------------------------------------
    Case("revenue_without_claim", "Fact-statedIn", "MinCount", "fact:openai-revenue-2025",
         remove="fact:openai-revenue-2025 aicap:statedIn claim:f3 ."),
    Case("agreement_without_claim", "Fact-statedIn", "MinCount",
         "agr:oracle-openai-article-loi",
         remove="agr:oracle-openai-article-loi aicap:statedIn claim:f16 ."),
    Case("fact_stated_in_a_source_not_a_claim", "Fact-statedIn", "Class",
         "fact:openai-revenue-2025",
         add="fact:openai-revenue-2025 aicap:statedIn src:article-ai-capital-cycle ."),
    Case("claim_without_source", "Claim-wasDerivedFrom", "MinCount", "claim:f3",
         remove="claim:f3 prov:wasDerivedFrom src:article-ai-capital-cycle ."),
    Case("claim_with_two_sources", "Claim-wasDerivedFrom", "MaxCount", "claim:f3",
         add="claim:f3 prov:wasDerivedFrom src:p1-nvidia-openai-loi ."),
    Case("claim_derived_from_a_firm", "Claim-wasDerivedFrom", "Class", "claim:f3",
         **replace("claim:f3 prov:wasDerivedFrom", "src:article-ai-capital-cycle",
                   "firm:openai")),
    Case("claim_without_quote", "Claim-quote", "MinCount", "claim:f3",
         remove='claim:f3 aicap:quote "OpenAI当前年营收仅为120亿美元。"@zh .'),
    Case("claim_with_two_quotes", "Claim-quote", "MaxCount", "claim:f3",
         add='claim:f3 aicap:quote "OpenAI当前年营收"@zh .'),
    Case("quote_without_language", "Claim-quote", "Datatype", "claim:f3",
         **replace("claim:f3 aicap:quote", '"OpenAI当前年营收仅为120亿美元。"@zh',
                   '"OpenAI当前年营收仅为120亿美元。"')),
    Case("blank_quote", "Claim-quote", "Pattern", "claim:f3",
         **replace("claim:f3 aicap:quote", '"OpenAI当前年营收仅为120亿美元。"@zh', '" "@zh')),
    Case("claim_said_by_two_people", "Claim-saidBy", "MaxCount",
         "claim:f4-altman-financing-model",
         add="claim:f4-altman-financing-model aicap:saidBy person:lisa-su ."),
    Case("claim_said_by_a_firm", "Claim-saidBy", "Class", "claim:f3",
         add="claim:f3 aicap:saidBy firm:openai ."),
    Case("said_on_in_words", "Claim-saidOn", "Or", "claim:f4-altman-financing-model",
         **replace("claim:f4-altman-financing-model aicap:saidOn", '"2025-08"^^xsd:gYearMonth',
                   '"August 2025"')),
    Case("said_on_two_dates", "Claim-saidOn", "MaxCount", "claim:f4-altman-financing-model",
         add='claim:f4-altman-financing-model aicap:saidOn "2025-08-05"^^xsd:date .'),
    Case("brief_ref_outside_the_brief", "Claim-briefRef", "Pattern", "claim:yang-ren-role",
         add='claim:yang-ren-role aicap:briefRef "row 3" .'),
    Case("claim_with_two_brief_refs", "Claim-briefRef", "MaxCount", "claim:f3",
         add='claim:f3 aicap:briefRef "F4" .'),
    Case("brief_ref_with_language", "Claim-briefRef", "Datatype", "claim:yang-ren-role",
         add='claim:yang-ren-role aicap:briefRef "F9"@en .'),
    Case("claim_mentions_a_source", "Claim-mentions", "Or", "claim:f3",
         add="claim:f3 aicap:mentions src:article-ai-capital-cycle ."),
    Case("source_without_title", "Source-title", "MinCount", "src:methodology",
         remove='src:methodology dct:title "aicap methodology note: units and conversions"@en .'),
    Case("source_title_an_iri", "Source-title", "NodeKind", "src:methodology",
         add="src:methodology dct:title src:article-ai-capital-cycle ."),
    Case("source_without_date", "Source-issued", "MinCount", "src:methodology",
         remove='src:methodology dct:issued "2026-11-30"^^xsd:date .'),
    Case("source_date_in_words", "Source-issued", "Or", "src:methodology",
         **replace("src:methodology dct:issued", '"2026-11-30"^^xsd:date',
                   '"30 November 2026"')),
    Case("source_with_two_dates", "Source-issued", "MaxCount", "src:methodology",
         add='src:methodology dct:issued "2026-11"^^xsd:gYearMonth .'),
    Case("source_without_language", "Source-language", "MinCount", "src:methodology",
         remove='src:methodology dct:language "en" .'),
    Case("source_language_in_words", "Source-language", "Pattern", "src:methodology",
         **replace("src:methodology dct:language", '"en"', '"English"')),
    Case("source_language_an_iri", "Source-language", "Datatype", "src:methodology",
         **replace("src:methodology dct:language", '"en"',
                   "<http://id.loc.gov/vocabulary/iso639-1/en>")),
    Case("source_with_two_languages", "Source-language", "MaxCount", "src:methodology",
         add='src:methodology dct:language "zh" .'),
    Case("source_without_publisher", "Source-publisher", "MinCount", "src:methodology",
         remove='src:methodology dct:publisher "aicap-kg project" .', severity="Warning"),
    Case("new_source_without_url", "Source-url", "MinCount", "src:new",
         add='src:new a aicap:Announcement ; dct:title "New"@en ; dct:publisher "X" ;'
             ' dct:issued "2025-11-01"^^xsd:date ; dct:language "en" .',
         severity="Warning"),
    Case("source_url_as_text", "Source-url", "NodeKind", "src:methodology",
         add='src:methodology schema:url "https://example.org/methodology" .',
         severity="Warning"),
    Case("sha256_not_hex", "Source-sha256", "Pattern", "src:article-ai-capital-cycle",
         **replace("src:article-ai-capital-cycle aicap:sha256",
                   '"0a4217216c9a63bde421ecc824f05d1c3c3318be31c411b1a696124442cbf263"',
                   '"0A42"')),
    Case("sha256_as_iri", "Source-sha256", "Datatype", "src:article-ai-capital-cycle",
         add=f"src:article-ai-capital-cycle aicap:sha256 <urn:sha256:{'0' * 64}> ."),
    Case("source_with_two_sha256", "Source-sha256", "MaxCount", "src:article-ai-capital-cycle",
         add=f'src:article-ai-capital-cycle aicap:sha256 "{"0" * 64}" .'),
    Case("source_with_two_local_copies", "Source-localCopy", "MaxCount", "src:methodology",
         add='src:methodology aicap:localCopy "docs/model.md" .'),
    Case("local_copy_an_iri", "Source-localCopy", "Datatype", "src:methodology",
         **replace("src:methodology aicap:localCopy", '"docs/methodology.md"',
                   "<file:///docs/methodology.md>")),
    # ---- agents.ttl ----------------------------------------------------------------------
    Case("firm_also_a_person", "OrganizationShape", "Not", "firm:openai",
         add="firm:openai a aicap:Person ."),
    Case("organisation_without_name", "Organization-label", "MinCount", "org:cnbc",
         remove='org:cnbc rdfs:label "CNBC" .'),
    Case("firm_without_claim", "Organization-statedIn", "MinCount", "firm:xai",
         remove="firm:xai aicap:statedIn claim:rob-li-dilution ."),
    Case("firm_stated_in_a_source_not_a_claim", "Organization-statedIn", "Class", "firm:xai",
         add="firm:xai aicap:statedIn src:article-ai-capital-cycle ."),
    Case("firm_without_kind", "FirmShape", "Or", "firm:newco",
         add='firm:newco a aicap:Firm ; rdfs:label "NewCo" ; aicap:statedIn claim:f2 .',
         severity="Warning"),
    Case("person_without_name", "Person-label", "MinCount", "person:rob-li",
         remove='person:rob-li rdfs:label "Rob Li" .'),
    Case("person_without_claim", "Person-statedIn", "MinCount", "person:rob-li",
         remove="person:rob-li aicap:statedIn claim:rob-li-role ."),
    Case("person_stated_in_a_source_not_a_claim", "Person-statedIn", "Class", "person:rob-li",
         add="person:rob-li aicap:statedIn src:article-ai-capital-cycle ."),
    Case("person_holds_a_firm_as_role", "Person-holdsRole", "Class", "person:rob-li",
         add="person:rob-li aicap:holdsRole firm:amont-partners ."),
    Case("person_without_role", "Person-holdsRole-expected", "MinCount", "person:new",
         add='person:new a aicap:Person ; rdfs:label "New" ; aicap:statedIn claim:f3 .',
         severity="Warning"),
    Case("role_at_nowhere", "Role-roleAt", "MinCount", "role:rob-li-amont",
         remove="role:rob-li-amont aicap:roleAt firm:amont-partners ."),
    Case("role_at_two_firms", "Role-roleAt", "MaxCount", "role:rob-li-amont",
         add="role:rob-li-amont aicap:roleAt firm:openai ."),
    Case("role_at_a_claim", "Role-roleAt", "Class", "role:rob-li-amont",
         **replace("role:rob-li-amont aicap:roleAt", "firm:amont-partners",
                   "claim:rob-li-role")),
    Case("role_without_title", "Role-roleTitle", "MinCount", "role:rob-li-amont",
         remove='role:rob-li-amont aicap:roleTitle "managing partner" .'),
    Case("role_title_with_language", "Role-roleTitle", "Datatype", "role:rob-li-amont",
         **replace("role:rob-li-amont aicap:roleTitle", '"managing partner"',
                   '"managing partner"@en')),
    Case("role_without_claim", "Role-statedIn", "MinCount", "role:rob-li-amont",
         remove="role:rob-li-amont aicap:statedIn claim:rob-li-role ."),
    Case("role_stated_in_a_source_not_a_claim", "Role-statedIn", "Class", "role:rob-li-amont",
         add="role:rob-li-amont aicap:statedIn src:article-ai-capital-cycle ."),
    Case("role_held_by_nobody", "Role-heldBy", "MinCount", "role:rob-li-amont",
         remove="person:rob-li aicap:holdsRole role:rob-li-amont ."),
    Case("role_held_by_two_people", "Role-heldBy", "MaxCount", "role:rob-li-amont",
         add="person:yang-ren aicap:holdsRole role:rob-li-amont ."),
    Case("role_held_by_a_firm", "Role-heldBy", "Class", "role:rob-li-amont",
         remove="person:rob-li aicap:holdsRole role:rob-li-amont .",
         add="firm:amont-partners aicap:holdsRole role:rob-li-amont ."),
    # ---- agreements.ttl ------------------------------------------------------------------
    Case("agreement_without_bindingness", "AgreementShape", "Xone", "agr:nvidia-openai",
         remove="agr:nvidia-openai a aicap:LetterOfIntent ."),
    Case("agreement_binding_and_non_binding", "AgreementShape", "Xone", "agr:amd-openai",
         add="agr:amd-openai a aicap:LetterOfIntent ."),
    Case("agreement_with_one_party", "Agreement-party", "MinCount", "agr:amd-openai",
         remove="agr:amd-openai aicap:party firm:amd ."),
    Case("agreement_party_a_person", "Agreement-party", "Class", "agr:amd-openai",
         add="agr:amd-openai aicap:party person:lisa-su ."),
    Case("signed_on_in_words", "Agreement-signedOn", "Or", "agr:amd-openai",
         **replace("agr:amd-openai aicap:signedOn", '"2025-10-06"^^xsd:date',
                   '"6 October 2025"')),
    Case("same_deal_as_an_obligation", "Agreement-sameDealAs", "Class",
         "agr:oracle-openai-article-loi",
         add="agr:oracle-openai-article-loi aicap:sameDealAs obl:openai-oracle-300b ."),
    Case("amends_an_obligation", "Agreement-amends", "Class", "agr:coreweave-openai-2025-05",
         add="agr:coreweave-openai-2025-05 aicap:amends obl:openai-coreweave-2025-03 ."),
    # ---- transfers.ttl -------------------------------------------------------------------
    Case("obligation_without_payer", "ValueTransfer-fromParty", "MinCount",
         "obl:openai-oracle-300b", remove="obl:openai-oracle-300b aicap:fromParty firm:openai ."),
    Case("obligation_with_two_payers", "ValueTransfer-fromParty", "MaxCount",
         "obl:openai-oracle-300b", add="obl:openai-oracle-300b aicap:fromParty firm:nvidia ."),
    Case("payer_a_person", "ValueTransfer-fromParty", "Class", "obl:openai-oracle-300b",
         **replace("obl:openai-oracle-300b aicap:fromParty", "firm:openai",
                   "person:sam-altman")),
    Case("transfer_to_itself", "ValueTransfer-fromParty", "Disjoint", "supply:oracle-nvidia-gpus",
         **replace("supply:oracle-nvidia-gpus aicap:toParty", "firm:nvidia", "firm:oracle")),
    Case("loan_without_borrower", "ValueTransfer-toParty", "MinCount", "credit:openai-banks",
         remove="credit:openai-banks aicap:toParty firm:openai ."),
    Case("loan_with_two_borrowers", "ValueTransfer-toParty", "MaxCount", "credit:openai-banks",
         add="credit:openai-banks aicap:toParty firm:anthropic ."),
    Case("borrower_a_role", "ValueTransfer-toParty", "Class", "credit:openai-banks",
         **replace("credit:openai-banks aicap:toParty", "firm:openai",
                   "role:sam-altman-openai")),
    Case("negative_amount", "ValueTransfer-amountUSD", "MinExclusive", "inv:nvidia-openai",
         **replace("inv:nvidia-openai aicap:amountUSD", "100000000000.0", "-100000000000.0")),
    Case("zero_amount", "ValueTransfer-amountUSD", "MinExclusive", "obl:openai-oracle-300b",
         **replace("obl:openai-oracle-300b aicap:amountUSD", "300000000000.0", "0.0")),
    Case("amount_as_integer", "ValueTransfer-amountUSD", "Datatype", "inv:nvidia-openai",
         **replace("inv:nvidia-openai aicap:amountUSD", "100000000000.0", "100000000000")),
    Case("amount_in_billions", "ValueTransfer-amountUSD-scale", "MinInclusive",
         "inv:nvidia-openai",
         **replace("inv:nvidia-openai aicap:amountUSD", "100000000000.0", "100.0"),
         severity="Warning"),
    Case("transfer_with_two_amounts", "ValueTransfer-amountUSD", "MaxCount",
         "inv:nvidia-openai", add="inv:nvidia-openai aicap:amountUSD 90000000000.0 ."),
    Case("negative_gigawatts", "ValueTransfer-gigawatts", "MinExclusive",
         "obl:openai-amd-6gw", **replace("obl:openai-amd-6gw aicap:gigawatts", "6.0", "-6.0")),
    Case("gigawatts_as_text", "ValueTransfer-gigawatts", "Datatype", "obl:openai-amd-6gw",
         **replace("obl:openai-amd-6gw aicap:gigawatts", "6.0", '"6 GW"')),
    Case("transfer_with_two_capacities", "ValueTransfer-gigawatts", "MaxCount",
         "obl:openai-amd-6gw", add="obl:openai-amd-6gw aicap:gigawatts 10.0 ."),
    Case("amount_bound_not_a_bound", "ValueTransfer-amountBound", "In", "obl:openai-amd-6gw",
         add="obl:openai-amd-6gw aicap:amountBound aicap:Up ."),
    Case("amount_with_two_bounds", "ValueTransfer-amountBound", "MaxCount",
         "inv:nvidia-openai", add="inv:nvidia-openai aicap:amountBound aicap:AtLeast ."),
    Case("rests_on_an_obligation", "ValueTransfer-restsOn", "Class", "obl:openai-amd-6gw",
         add="obl:openai-amd-6gw aicap:restsOn obl:openai-oracle-300b ."),
    Case("period_start_in_words", "ValueTransfer-periodStart", "Or", "obl:openai-amd-6gw",
         **replace("obl:openai-amd-6gw aicap:periodStart", '"2026-07"^^xsd:gYearMonth',
                   '"second half of 2026"')),
    Case("period_end_in_words", "ValueTransfer-periodEnd", "Or",
         "obl:nvidia-coreweave-capacity",
         **replace("obl:nvidia-coreweave-capacity aicap:periodEnd", '"2032-04"^^xsd:gYearMonth',
                   '"April 2032"')),
    Case("obligation_on_no_agreement", "Obligation-restsOn", "MinCount",
         "obl:nvidia-coreweave-capacity",
         remove="obl:nvidia-coreweave-capacity aicap:restsOn agr:nvidia-coreweave-capacity ."),
    Case("investment_commitment_on_no_agreement", "Obligation-restsOn", "MinCount",
         "inv:nvidia-openai", remove="inv:nvidia-openai aicap:restsOn agr:nvidia-openai ."),
    Case("payment_without_amount", "PaymentObligation-amountUSD", "MinCount",
         "obl:nvidia-coreweave-capacity",
         remove="obl:nvidia-coreweave-capacity aicap:amountUSD 6300000000.0 .",
         severity="Warning"),
    Case("compute_capacity_without_gigawatts", "ComputeCapacityObligation-gigawatts",
         "MinCount", "obl:openai-amd-6gw", remove="obl:openai-amd-6gw aicap:gigawatts 6.0 .",
         severity="Warning"),
    Case("investment_without_amount", "Investment-amountUSD", "MinCount", "inv:nvidia-openai",
         remove="inv:nvidia-openai aicap:amountUSD 100000000000.0 .", severity="Warning"),
    Case("credit_raised_on_an_obligation", "Credit-raisedOn", "Class", "credit:oracle-banks",
         add="credit:oracle-banks aicap:raisedOn obl:openai-oracle-300b ."),
    Case("credit_from_a_non_lender", "Credit-fromParty", "Class",
         "credit:openai-private-credit", severity="Warning",
         **replace("credit:openai-private-credit aicap:fromParty", "firm:private-credit",
                   "firm:nvidia")),
    Case("credit_without_amount", "Credit-amountUSD", "MinCount", "credit:new",
         add="credit:new a aicap:Loan ; aicap:fromParty firm:banks ; aicap:toParty firm:xai ;"
             " aicap:statedIn claim:f16 .",
         severity="Warning"),
    Case("shares_as_decimal", "EquityGrant-shares", "Datatype", AMD_WARRANT,
         **replace(f"{AMD_WARRANT} aicap:shares", "160000000", "160000000.0")),
    Case("zero_shares", "EquityGrant-shares", "MinExclusive", AMD_WARRANT,
         **replace(f"{AMD_WARRANT} aicap:shares", "160000000", "0")),
    Case("grant_with_two_share_counts", "EquityGrant-shares", "MaxCount", AMD_WARRANT,
         add=f"{AMD_WARRANT} aicap:shares 150000000 ."),
    Case("share_of_capital_as_percent", "EquityGrant-shareOfCapital", "MaxInclusive",
         AMD_WARRANT, **replace(f"{AMD_WARRANT} aicap:shareOfCapital", "0.10", "10.0")),
    Case("negative_share_of_capital", "EquityGrant-shareOfCapital", "MinInclusive",
         AMD_WARRANT, **replace(f"{AMD_WARRANT} aicap:shareOfCapital", "0.10", "-0.10")),
    Case("share_of_capital_as_text", "EquityGrant-shareOfCapital", "Datatype", AMD_WARRANT,
         **replace(f"{AMD_WARRANT} aicap:shareOfCapital", "0.10", '"10%"')),
    Case("grant_with_two_shares_of_capital", "EquityGrant-shareOfCapital", "MaxCount",
         AMD_WARRANT, add=f"{AMD_WARRANT} aicap:shareOfCapital 0.2 ."),
    Case("grant_for_an_agreement_not_an_obligation", "EquityGrant-inConsiderationOf", "Class",
         AMD_WARRANT, add=f"{AMD_WARRANT} aicap:inConsiderationOf agr:amd-openai ."),
    Case("grant_on_no_agreement", "EquityGrant-restsOn", "MinCount",
         "grant:coreweave-openai-shares", severity="Warning",
         remove="grant:coreweave-openai-shares aicap:restsOn agr:coreweave-openai-2025-03 ."),
    Case("warrant_without_shares", "Warrant-shares", "MinCount", AMD_WARRANT,
         remove=f"{AMD_WARRANT} aicap:shares 160000000 .", severity="Warning"),
    Case("warrant_without_tranches", "Warrant-tranches", "MinCount", "grant:new",
         add="grant:new a aicap:Warrant ; aicap:fromParty firm:amd ; aicap:toParty firm:xai ;"
             " aicap:shares 1000 ; aicap:restsOn agr:amd-openai ; aicap:statedIn claim:f10 .",
         severity="Warning"),
    Case("tranche_of_nothing", "Tranche-trancheOf", "MinCount", "tranche:amd-openai-warrant-2",
         remove=f"tranche:amd-openai-warrant-2 aicap:trancheOf {AMD_WARRANT} ."),
    Case("tranche_of_two_grants", "Tranche-trancheOf", "MaxCount",
         "tranche:amd-openai-warrant-2",
         add="tranche:amd-openai-warrant-2 aicap:trancheOf grant:coreweave-openai-shares ."),
    Case("tranche_of_an_agreement", "Tranche-trancheOf", "Class",
         "tranche:nvidia-openai-per-gw",
         **replace("tranche:nvidia-openai-per-gw aicap:trancheOf", "inv:nvidia-openai",
                   "agr:nvidia-openai")),
    Case("tranche_index_from_zero", "Tranche-trancheIndex", "MinInclusive",
         "tranche:amd-openai-warrant-1",
         **replace("tranche:amd-openai-warrant-1 aicap:trancheIndex", "1", "0")),
    Case("tranche_index_as_decimal", "Tranche-trancheIndex", "Datatype",
         "tranche:amd-openai-warrant-1",
         **replace("tranche:amd-openai-warrant-1 aicap:trancheIndex", "1", "1.0")),
    Case("tranche_with_two_indexes", "Tranche-trancheIndex", "MaxCount",
         "tranche:amd-openai-warrant-1",
         add="tranche:amd-openai-warrant-1 aicap:trancheIndex 3 ."),
    Case("zero_trigger_gigawatts", "Tranche-triggerGigawatts", "MinExclusive",
         "tranche:amd-openai-warrant-2",
         **replace("tranche:amd-openai-warrant-2 aicap:triggerGigawatts", "6.0", "0.0")),
    Case("trigger_gigawatts_as_integer", "Tranche-triggerGigawatts", "Datatype",
         "tranche:amd-openai-warrant-2",
         **replace("tranche:amd-openai-warrant-2 aicap:triggerGigawatts", "6.0", "6")),
    Case("tranche_with_two_triggers", "Tranche-triggerGigawatts", "MaxCount",
         "tranche:amd-openai-warrant-2",
         add="tranche:amd-openai-warrant-2 aicap:triggerGigawatts 3.0 ."),
    Case("condition_kind_not_a_condition", "Tranche-conditionKind", "In",
         "tranche:amd-openai-warrant-1",
         add="tranche:amd-openai-warrant-1 aicap:conditionKind aicap:Annual ."),
    Case("vesting_tranche_of_an_investment", "VestingTranche-trancheOf", "Class",
         "tranche:amd-openai-warrant-1",
         **replace("tranche:amd-openai-warrant-1 aicap:trancheOf", AMD_WARRANT,
                   "inv:nvidia-openai")),
    Case("investment_tranche_of_a_warrant", "InvestmentTranche-trancheOf", "Class",
         "tranche:nvidia-openai-per-gw",
         **replace("tranche:nvidia-openai-per-gw aicap:trancheOf", "inv:nvidia-openai",
                   AMD_WARRANT)),
    Case("self_funding_without_funder", "SelfFunding-funder", "MinCount",
         "fact:nvidia-own-cash", remove="fact:nvidia-own-cash aicap:funder firm:nvidia ."),
    Case("self_funding_with_two_funders", "SelfFunding-funder", "MaxCount",
         "fact:nvidia-own-cash", add="fact:nvidia-own-cash aicap:funder firm:amd ."),
    Case("self_funder_a_person", "SelfFunding-funder", "Class", "fact:nvidia-own-cash",
         **replace("fact:nvidia-own-cash aicap:funder", "firm:nvidia", "person:jensen-huang")),
    Case("self_funding_funds_nothing", "SelfFunding-funds", "MinCount", "fact:nvidia-own-cash",
         remove="fact:nvidia-own-cash aicap:funds inv:nvidia-openai ."),
    Case("self_funding_funds_an_agreement", "SelfFunding-funds", "Class",
         "fact:nvidia-own-cash", add="fact:nvidia-own-cash aicap:funds agr:nvidia-openai ."),
    Case("own_cash_paying_for_someone_else", "SelfFunding-payer", "Equals",
         "fact:nvidia-own-cash",
         **replace("fact:nvidia-own-cash aicap:funds", "inv:nvidia-openai",
                   "credit:openai-banks")),
    # ---- figures.ttl ---------------------------------------------------------------------
    Case("revenue_of_no_firm", "Revenue-ofFirm", "MinCount", "fact:openai-revenue-2025",
         remove="fact:openai-revenue-2025 aicap:ofFirm firm:openai ."),
    Case("revenue_of_two_firms", "Revenue-ofFirm", "MaxCount", "fact:openai-revenue-2025",
         add="fact:openai-revenue-2025 aicap:ofFirm firm:oracle ."),
    Case("revenue_of_a_broadcaster", "Revenue-ofFirm", "Class", "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:ofFirm", "firm:openai", "org:cnbc")),
    Case("revenue_without_amount", "Revenue-amountUSD", "MinCount", "fact:openai-revenue-2025",
         remove="fact:openai-revenue-2025 aicap:amountUSD 12000000000.0 ."),
    Case("revenue_with_two_amounts", "Revenue-amountUSD", "MaxCount",
         "fact:openai-revenue-2025",
         add="fact:openai-revenue-2025 aicap:amountUSD 13000000000.0 ."),
    Case("revenue_in_billions_as_text", "Revenue-amountUSD", "Datatype",
         "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:amountUSD", "12000000000.0", '"12 billion"')),
    Case("revenue_in_billions", "Revenue-amountUSD-scale", "MinInclusive",
         "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:amountUSD", "12000000000.0", "12.0"),
         severity="Warning"),
    Case("negative_revenue", "Revenue-amountUSD", "MinExclusive", "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:amountUSD", "12000000000.0",
                   "-12000000000.0")),
    Case("revenue_bound_not_a_bound", "Revenue-amountBound", "In",
         "fact:openai-revenue-2025",
         add="fact:openai-revenue-2025 aicap:amountBound aicap:Annual ."),
    Case("revenue_with_two_bounds", "Revenue-amountBound", "MaxCount",
         "fact:oracle-gpu-rental-revenue",
         add="fact:oracle-gpu-rental-revenue aicap:amountBound aicap:UpTo ."),
    Case("revenue_without_period", "Revenue-periodKind", "MinCount",
         "fact:openai-revenue-2025",
         remove="fact:openai-revenue-2025 aicap:periodKind aicap:Annual ."),
    Case("revenue_annual_and_quarterly", "Revenue-periodKind", "MaxCount",
         "fact:openai-revenue-2025",
         add="fact:openai-revenue-2025 aicap:periodKind aicap:Quarterly ."),
    Case("revenue_period_not_a_period", "Revenue-periodKind", "In", "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:periodKind", "aicap:Annual", "aicap:Up")),
    Case("margin_as_percent", "Revenue-grossMargin", "MaxInclusive",
         "fact:oracle-gpu-rental-revenue",
         **replace("fact:oracle-gpu-rental-revenue aicap:grossMargin", "0.14", "14.0")),
    Case("negative_margin", "Revenue-grossMargin", "MinInclusive",
         "fact:oracle-gpu-rental-revenue",
         **replace("fact:oracle-gpu-rental-revenue aicap:grossMargin", "0.14", "-0.14")),
    Case("margin_as_text", "Revenue-grossMargin", "Datatype", "fact:oracle-gpu-rental-revenue",
         **replace("fact:oracle-gpu-rental-revenue aicap:grossMargin", "0.14", '"14%"')),
    Case("revenue_with_two_margins", "Revenue-grossMargin", "MaxCount",
         "fact:oracle-gpu-rental-revenue",
         add="fact:oracle-gpu-rental-revenue aicap:grossMargin 0.2 ."),
    Case("revenue_date_in_words", "Revenue-asOf", "Or", "fact:openai-revenue-2025",
         **replace("fact:openai-revenue-2025 aicap:asOf", '"2025-10"^^xsd:gYearMonth',
                   '"October 2025"')),
    Case("segment_revenue_without_segment", "SegmentRevenue-segment", "MinCount",
         "fact:oracle-gpu-rental-revenue",
         remove='fact:oracle-gpu-rental-revenue aicap:segment "renting out servers with Nvidia'
                ' chips" .'),
    Case("segment_with_language", "SegmentRevenue-segment", "Datatype",
         "fact:oracle-gpu-rental-revenue",
         add='fact:oracle-gpu-rental-revenue aicap:segment "GPU rental"@en .'),
    Case("rise_with_negative_change", "SharePriceMoveShape", "Or",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:priceChange", "0.40", "-0.40")),
    Case("fall_with_positive_change", "SharePriceMoveShape", "Or",
         "fact:oracle-share-price-pullback",
         add="fact:oracle-share-price-pullback aicap:priceChange 0.10 ."),
    Case("price_move_of_no_firm", "SharePriceMove-ofFirm", "MinCount",
         "fact:amd-share-price-after-openai",
         remove="fact:amd-share-price-after-openai aicap:ofFirm firm:amd ."),
    Case("price_move_of_two_firms", "SharePriceMove-ofFirm", "MaxCount",
         "fact:amd-share-price-after-openai",
         add="fact:amd-share-price-after-openai aicap:ofFirm firm:nvidia ."),
    Case("price_move_of_a_person", "SharePriceMove-ofFirm", "Class",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:ofFirm", "firm:amd",
                   "person:lisa-su")),
    Case("price_move_without_direction", "SharePriceMove-direction", "MinCount",
         "fact:oracle-share-price-pullback",
         remove="fact:oracle-share-price-pullback aicap:direction aicap:Down ."),
    Case("price_move_up_and_down", "SharePriceMove-direction", "MaxCount",
         "fact:oracle-share-price-pullback",
         add="fact:oracle-share-price-pullback aicap:direction aicap:Up ."),
    Case("direction_not_a_direction", "SharePriceMove-direction", "In",
         "fact:oracle-share-price-pullback",
         **replace("fact:oracle-share-price-pullback aicap:direction", "aicap:Down",
                   "aicap:Quarterly")),
    Case("fall_of_more_than_everything", "SharePriceMove-priceChange", "MinInclusive",
         "fact:oracle-share-price-pullback",
         add="fact:oracle-share-price-pullback aicap:priceChange -1.5 ."),
    Case("price_change_as_percent_text", "SharePriceMove-priceChange", "Datatype",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:priceChange", "0.40", '"40%"')),
    Case("price_move_with_two_changes", "SharePriceMove-priceChange", "MaxCount",
         "fact:amd-share-price-after-openai",
         add="fact:amd-share-price-after-openai aicap:priceChange 0.5 ."),
    Case("change_bound_not_a_bound", "SharePriceMove-changeBound", "In",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:changeBound", "aicap:AtLeast",
                   "aicap:Up")),
    Case("change_with_two_bounds", "SharePriceMove-changeBound", "MaxCount",
         "fact:amd-share-price-after-openai",
         add="fact:amd-share-price-after-openai aicap:changeBound aicap:Approximate ."),
    Case("window_of_zero_days", "SharePriceMove-windowDays", "MinInclusive",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:windowDays", "2", "0")),
    Case("window_as_decimal", "SharePriceMove-windowDays", "Datatype",
         "fact:amd-share-price-after-openai",
         **replace("fact:amd-share-price-after-openai aicap:windowDays", "2", "2.0")),
    Case("price_move_with_two_windows", "SharePriceMove-windowDays", "MaxCount",
         "fact:amd-share-price-after-openai",
         add="fact:amd-share-price-after-openai aicap:windowDays 3 ."),
    Case("price_move_after_an_obligation", "SharePriceMove-after", "Class",
         "fact:amd-share-price-after-openai",
         add="fact:amd-share-price-after-openai aicap:after obl:openai-amd-6gw ."),
    Case("price_move_date_in_words", "SharePriceMove-asOf", "Or",
         "fact:oracle-share-price-after-openai",
         **replace("fact:oracle-share-price-after-openai aicap:asOf",
                   '"2025-09"^^xsd:gYearMonth', '"early September"')),
    Case("tokens_of_no_firm", "TokenVolume-ofFirm", "MinCount", "fact:google-tokens-2025-10",
         remove="fact:google-tokens-2025-10 aicap:ofFirm firm:google ."),
    Case("tokens_of_two_firms", "TokenVolume-ofFirm", "MaxCount", "fact:google-tokens-2025-10",
         add="fact:google-tokens-2025-10 aicap:ofFirm firm:openai ."),
    Case("tokens_of_a_claim", "TokenVolume-ofFirm", "Class", "fact:google-tokens-2025-10",
         **replace("fact:google-tokens-2025-10 aicap:ofFirm", "firm:google",
                   "claim:f17-tokens")),
    Case("token_volume_without_tokens", "TokenVolume-tokensPerMonth", "MinCount",
         "fact:google-tokens-2025-10",
         remove="fact:google-tokens-2025-10 aicap:tokensPerMonth 1300000000000000.0 ."),
    Case("token_volume_with_two_counts", "TokenVolume-tokensPerMonth", "MaxCount",
         "fact:google-tokens-2025-10",
         add="fact:google-tokens-2025-10 aicap:tokensPerMonth 1.0 ."),
    Case("tokens_in_trillions_as_text", "TokenVolume-tokensPerMonth", "Datatype",
         "fact:google-tokens-2025-10",
         **replace("fact:google-tokens-2025-10 aicap:tokensPerMonth", "1300000000000000.0",
                   '"1300 trillion"')),
    Case("zero_tokens", "TokenVolume-tokensPerMonth", "MinExclusive",
         "fact:google-tokens-2025-10",
         **replace("fact:google-tokens-2025-10 aicap:tokensPerMonth", "1300000000000000.0",
                   "0.0")),
    Case("tokens_bound_not_a_bound", "TokenVolume-amountBound", "In",
         "fact:google-tokens-2024-04",
         **replace("fact:google-tokens-2024-04 aicap:amountBound", "aicap:Approximate",
                   "aicap:Down")),
    Case("tokens_with_two_bounds", "TokenVolume-amountBound", "MaxCount",
         "fact:google-tokens-2024-04",
         add="fact:google-tokens-2024-04 aicap:amountBound aicap:Exact ."),
    Case("token_volume_without_date", "TokenVolume-asOf", "MinCount",
         "fact:google-tokens-2025-10",
         remove='fact:google-tokens-2025-10 aicap:asOf "2025-10"^^xsd:gYearMonth .'),
    Case("token_volume_with_two_dates", "TokenVolume-asOf", "MaxCount",
         "fact:google-tokens-2025-10",
         add='fact:google-tokens-2025-10 aicap:asOf "2025-11"^^xsd:gYearMonth .'),
    Case("token_date_in_words", "TokenVolume-asOf", "Or", "fact:google-tokens-2025-10",
         **replace("fact:google-tokens-2025-10 aicap:asOf", '"2025-10"^^xsd:gYearMonth',
                   '"October"')),
    Case("market_signal_without_words", "MarketSignal-description", "MinCount",
         "fact:gpu-session-rate",
         remove='fact:gpu-session-rate aicap:description "Proposed indicator: GPU utilisation'
                ' (the user session rate) as the real-time signal of compute supply against'
                ' demand." .'),
    Case("market_signal_description_an_iri", "MarketSignal-description", "Datatype",
         "fact:gpu-session-rate",
         add="fact:gpu-session-rate aicap:description <https://example.org/signal> ."),
    Case("market_signal_of_two_firms", "MarketSignal-ofFirm", "MaxCount",
         "fact:blackwell-prices-rising",
         add="fact:blackwell-prices-rising aicap:ofFirm firm:amd ."),
    Case("market_signal_of_a_person", "MarketSignal-ofFirm", "Class", "fact:gpu-session-rate",
         add="fact:gpu-session-rate aicap:ofFirm person:yang-ren ."),
    Case("market_signal_up_and_down", "MarketSignal-direction", "MaxCount",
         "fact:blackwell-prices-rising",
         add="fact:blackwell-prices-rising aicap:direction aicap:Down ."),
    Case("market_signal_direction_not_a_direction", "MarketSignal-direction", "In",
         "fact:blackwell-prices-rising",
         **replace("fact:blackwell-prices-rising aicap:direction", "aicap:Up", "aicap:AtLeast")),
    Case("market_signal_date_in_words", "MarketSignal-asOf", "Or",
         "fact:blackwell-prices-rising",
         **replace("fact:blackwell-prices-rising aicap:asOf", '"2025-10"^^xsd:gYearMonth',
                   '"this autumn"')),
    Case("aggregate_counted_as_a_transfer", "AggregateCommitmentShape", "Not",
         "fact:openai-compute-commitments-2025",
         add="fact:openai-compute-commitments-2025 a aicap:PaymentObligation ."),
    Case("aggregate_of_no_firm", "AggregateCommitment-ofFirm", "MinCount",
         "fact:openai-coreweave-total",
         remove="fact:openai-coreweave-total aicap:ofFirm firm:openai ."),
    Case("aggregate_of_two_firms", "AggregateCommitment-ofFirm", "MaxCount",
         "fact:openai-coreweave-total",
         add="fact:openai-coreweave-total aicap:ofFirm firm:oracle ."),
    Case("aggregate_of_a_source", "AggregateCommitment-ofFirm", "Class",
         "fact:openai-coreweave-total",
         **replace("fact:openai-coreweave-total aicap:ofFirm", "firm:openai",
                   "src:p5-coreweave-openai-2025-09")),
    Case("aggregate_without_total", "AggregateCommitment-amountUSD", "MinCount",
         "fact:openai-coreweave-total",
         remove="fact:openai-coreweave-total aicap:amountUSD 22400000000.0 ."),
    Case("aggregate_with_two_totals", "AggregateCommitment-amountUSD", "MaxCount",
         "fact:openai-coreweave-total",
         add="fact:openai-coreweave-total aicap:amountUSD 22000000000.0 ."),
    Case("aggregate_total_as_text", "AggregateCommitment-amountUSD", "Datatype",
         "fact:openai-coreweave-total",
         **replace("fact:openai-coreweave-total aicap:amountUSD", "22400000000.0",
                   '"USD 22.4 billion"')),
    Case("aggregate_total_in_billions", "AggregateCommitment-amountUSD-scale", "MinInclusive",
         "fact:openai-coreweave-total",
         **replace("fact:openai-coreweave-total aicap:amountUSD", "22400000000.0", "22.4"),
         severity="Warning"),
    Case("negative_aggregate_total", "AggregateCommitment-amountUSD", "MinExclusive",
         "fact:openai-coreweave-total",
         **replace("fact:openai-coreweave-total aicap:amountUSD", "22400000000.0",
                   "-22400000000.0")),
    Case("aggregate_bound_not_a_bound", "AggregateCommitment-amountBound", "In",
         "fact:openai-coreweave-total",
         **replace("fact:openai-coreweave-total aicap:amountBound", "aicap:Approximate",
                   "aicap:Quarterly")),
    Case("aggregate_with_two_bounds", "AggregateCommitment-amountBound", "MaxCount",
         "fact:openai-coreweave-total",
         add="fact:openai-coreweave-total aicap:amountBound aicap:AtLeast ."),
    Case("aggregate_counterparty_a_person", "AggregateCommitment-counterparty", "Class",
         "fact:openai-compute-commitments-2025",
         add="fact:openai-compute-commitments-2025 aicap:counterparty person:jensen-huang ."),
    Case("aggregate_comprises_an_agreement", "AggregateCommitment-comprises", "Class",
         "fact:openai-compute-commitments-2025",
         add="fact:openai-compute-commitments-2025 aicap:comprises agr:oracle-openai ."),
    Case("aggregate_with_two_plant_counts", "AggregateCommitment-nuclearPlantEquivalents",
         "MaxCount", "fact:openai-compute-commitments-2025",
         add="fact:openai-compute-commitments-2025 aicap:nuclearPlantEquivalents 16.0 ."),
    Case("plant_count_as_integer", "AggregateCommitment-nuclearPlantEquivalents", "Datatype",
         "fact:openai-compute-commitments-2025",
         **replace("fact:openai-compute-commitments-2025 aicap:nuclearPlantEquivalents",
                   "20.0", "20")),
    Case("zero_plants", "AggregateCommitment-nuclearPlantEquivalents", "MinExclusive",
         "fact:openai-compute-commitments-2025",
         **replace("fact:openai-compute-commitments-2025 aicap:nuclearPlantEquivalents",
                   "20.0", "0.0")),
    Case("aggregate_period_in_words", "AggregateCommitment-periodStart", "Or",
         "fact:openai-compute-commitments-2025",
         **replace("fact:openai-compute-commitments-2025 aicap:periodStart",
                   '"2025-01"^^xsd:gYearMonth', '"early 2025"')),
    Case("plant_without_gigawatts", "PowerEquivalence-gigawatts", "MinCount",
         "fact:standard-nuclear-plant",
         remove="fact:standard-nuclear-plant aicap:gigawatts 1.0 ."),
    Case("plant_with_two_sizes", "PowerEquivalence-gigawatts", "MaxCount",
         "fact:standard-nuclear-plant",
         add="fact:standard-nuclear-plant aicap:gigawatts 1.1 ."),
    Case("plant_gigawatts_as_text", "PowerEquivalence-gigawatts", "Datatype",
         "fact:standard-nuclear-plant",
         **replace("fact:standard-nuclear-plant aicap:gigawatts", "1.0", '"1 GW"')),
    Case("plant_of_zero_gigawatts", "PowerEquivalence-gigawatts", "MinExclusive",
         "fact:standard-nuclear-plant",
         **replace("fact:standard-nuclear-plant aicap:gigawatts", "1.0", "0.0")),
]  # fmt: skip


@pytest.fixture(scope="module")
def data() -> Graph:
    """The union of the bundled graphs with the ontology merged in, as the validator sees it."""
    dataset = Dataset()
    for path in sorted((ROOT / "data").glob("*.trig")):
        dataset.parse(path, format="trig")
    graph = Graph()
    for s, p, o, _ in dataset.quads():
        graph.add((s, p, o))
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def shapes() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def baseline(data: Graph, shapes: Graph) -> set[Result]:
    return validation_results(data, shapes)


def validation_results(data: Graph, shapes: Graph, only: Node | None = None) -> set[Result]:
    """Validate with pyshacl and return every result, warnings included.

    `only` is the one node shape to run, on its targets, with its property shapes: no shape
    refers to another, so a mutation case needs no other, and the suite stays fast.
    """
    use = None if only is None else [only, *shapes.objects(only, SH.property)]
    _, report, _ = validate(
        data,
        shacl_graph=shapes,
        allow_warnings=True,
        inplace=True,
        use_shapes=None if use is None else [str(shape) for shape in use],
    )
    assert isinstance(report, Graph)
    return {
        Result(
            report.value(r, SH.focusNode),
            report.value(r, SH.sourceShape),
            report.value(r, SH.sourceConstraintComponent),
            report.value(r, SH.resultSeverity),
        )
        for r in report.objects(None, SH.result)
    }


def node_shapes(shapes: Graph) -> set[Node]:
    return set(shapes.subjects(RDF.type, SH.NodeShape))


def named_shapes(shapes: Graph) -> set[URIRef]:
    declared = node_shapes(shapes) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    return {s for s in declared if isinstance(s, URIRef)}


def node_shape_of(shapes: Graph, shape: Node) -> Node:
    """Walk up from a property shape to the one node shape that holds it."""
    parents = set(shapes.subjects(SH.property, shape))
    if not parents:
        return shape
    assert len(parents) == 1, f"{shape} belongs to several shapes: {parents}"
    return node_shape_of(shapes, parents.pop())


def triples(turtle: str) -> Graph:
    return Graph().parse(data=TURTLE_PREFIXES + turtle, format="turtle")


def mutate(data: Graph, case: Case) -> Graph:
    mutated = Graph()
    mutated += data
    for triple in triples(case.remove):
        assert triple in data, f"{case.id}: the bundled data has no {triple}"
        mutated.remove(triple)
    mutated += triples(case.add)
    return mutated


def local(term: Node) -> str:
    return str(term).removeprefix(str(SHAPE)).removeprefix(str(SH))


def test_bundled_data_conforms(baseline: set[Result]) -> None:
    violations = sorted(
        f"{r.focus} {local(r.shape)} {local(r.component)}"
        for r in baseline
        if r.severity == SH.Violation
    )
    assert violations == []


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_mutation_trips_its_shape(
    case: Case, data: Graph, shapes: Graph, baseline: set[Result]
) -> None:
    expected = case.expected()
    assert expected not in baseline, "the bundled data already has this result"
    assert local(node_shape_of(shapes, expected.shape)) == case.node_shape

    results = validation_results(mutate(data, case), shapes, only=SHAPE[case.node_shape])

    on_focus = [
        f"{local(r.shape)} {local(r.component)}" for r in results if r.focus == expected.focus
    ]
    assert expected in results, f"results on {case.focus}: {sorted(on_focus)}"


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


def test_every_node_shape_is_tripped_by_a_mutation(shapes: Graph) -> None:
    tripped = {SHAPE[case.node_shape] for case in CASES}
    assert sorted(map(local, node_shapes(shapes) - tripped)) == []


def test_every_constraint_is_tripped_by_a_mutation(shapes: Graph) -> None:
    declared = {
        (local(shape), name[0].upper() + name[1:])
        for shape in named_shapes(shapes)
        for name in PARAMETERS
        if (shape, SH[name], None) in shapes
    }
    tripped = {(case.shape, case.component) for case in CASES}
    assert sorted(declared - tripped) == []
    assert sorted(tripped - declared) == [], "cases for constraints the shapes do not declare"


def test_shapes_are_named_documented_and_sparql_free(shapes: Graph) -> None:
    """Node shapes are <Class>Shape on sh:targetClass <Class> with a comment; property
    shapes are named <Class>-... after their node shape, carry a message, and the change
    validation can bound what each reads (no SHACL-SPARQL)."""
    problems = []
    for shape in node_shapes(shapes):
        classes = [local(c).split("#")[-1] + "Shape" for c in shapes.objects(shape, SH.targetClass)]
        if classes != [local(shape)]:
            problems.append(f"{local(shape)}: targets {classes}")
        if shapes.value(shape, RDFS.comment) is None:
            problems.append(f"{local(shape)}: no rdfs:comment")
    for prop in set(shapes.objects(None, SH.property)):
        name = local(node_shape_of(shapes, prop)).removesuffix("Shape")
        if not isinstance(prop, URIRef) or not local(prop).startswith(name + "-"):
            problems.append(f"{prop}: not named {name}-<property>")
        if shapes.value(prop, SH.message) is None:
            problems.append(f"{local(prop)}: no sh:message")
    problems += [f"{s}: uses sh:sparql" for s in shapes.subjects(SH.sparql, None)]
    problems += [f"{s}: uses sh:target" for s in shapes.subjects(SH.target, None)]
    assert problems == []
