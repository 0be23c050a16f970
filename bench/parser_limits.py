"""Find where pyoxigraph's parsers stop failing cleanly and start killing the process.

Each (construct, depth) runs in its own subprocess: a stack overflow in the Rust parsers
or evaluator is a SIGSEGV that takes the interpreter down. The table is construct x depth
-> ok / error (a clean exception) / CRASH (killed by a signal) / timeout, and the first
crashing depth, bisected to within 2%. ``kg/query/guards.py`` and ``kg/rdf/body_guards.py``
set their limits well under the smallest crash found here; rerun this after upgrading pyoxigraph.

    python bench/parser_limits.py                   # main thread, ulimit -s (8 MiB)
    python bench/parser_limits.py --stack-kib 1024  # a worker thread with a 1 MiB stack
    python bench/parser_limits.py --only sparql/expr_function --only rdf/jsonld_object

"depth" is the number of repetitions of the construct: nesting levels for the nested
ones, elements for the chains (``union_chain``, ``bind_chain``, ...).

First crashes with pyoxigraph 0.5.13 on an 8 MiB stack (SIGSEGV): EXISTS nesting 835,
function calls 956, braces 2,187-2,218, BIND or SELECT-expression chains 2,625, OPTIONAL
and MINUS nesting 2,625, JSON-LD objects and lists 3,272, CONSTRUCT/INSERT DATA blank
nodes 3,656, parentheses 4,695, UNION chains 6,609, ``+`` chains 6,937, ``&&`` and FILTER
chains 9,452, collections 12,031, path parentheses 13,906, Turtle and N-Triples triple
terms 18,125. Turtle/TriG blank nodes and lists never crash (100,000 parse). Long BGPs,
OPTIONAL or group sequences and path sequences time out in planning before any crash
(200 patterns sharing a variable: 9-13 s in ``Store.query`` before the first row).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

DEPTHS = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
CHILD_TIMEOUT_S = 30.0
P = "<http://e/p>"
S = "<http://e/s>"


def _nest(open_: str, inner: str, close: str, n: int) -> str:
    return open_ * n + inner + close * n


def _where(body: str) -> str:
    return "SELECT * WHERE { " + body + " }"


def _filter(expr: str) -> str:
    return _where(f"?s ?p ?o FILTER({expr})")


def _chain(item: Callable[[int], str], sep: str) -> Callable[[int], str]:
    return lambda n: sep.join(item(i) for i in range(n))


SPARQL: dict[str, Callable[[int], str]] = {
    "group_braces": lambda n: "SELECT * WHERE " + _nest("{ ", "?s ?p ?o", " }", n),
    "optional_nested": lambda n: _where("?s ?p ?o " + _nest("OPTIONAL { ?s ?p ?o ", "", "}", n)),
    "union_nested": lambda n: _where(_nest("{ ?s ?p ?o } UNION { ", "?s ?p ?o", " }", n)),
    "subquery_nested": lambda n: (
        "SELECT * WHERE " + _nest("{ SELECT * WHERE ", "{?s ?p ?o}", "}", n)
    ),
    "minus_nested": lambda n: _where("?s ?p ?o " + _nest("MINUS { ?s ?p ?o ", "", "}", n)),
    "exists_nested": lambda n: _where("?s ?p ?o " + _nest("FILTER EXISTS { ?s ?p ?o ", "", "}", n)),
    "expr_parens": lambda n: _filter(_nest("(", "?o", ")", n)),
    "expr_function": lambda n: _filter(_nest("STR(", "?o", ")", n)),
    "expr_if": lambda n: _filter(_nest("IF(?o, ", "?o", ", ?o)", n)),
    "expr_not": lambda n: _filter("!" * n + "?o"),
    "path_parens": lambda n: _where("?s " + _nest("(", P, ")", n) + " ?o"),
    "bnode_plist": lambda n: _where(f"?s {P} " + _nest(f"[ {P} ", "?o", " ]", n)),
    "collection": lambda n: _where(f"?s {P} " + _nest("( ", "?o", " )", n)),
    "template_bnode": lambda n: (
        f"CONSTRUCT {{ {S} {P} " + _nest(f"[ {P} ", "1", " ]", n) + " } WHERE {}"
    ),
    "template_collection": lambda n: (
        f"CONSTRUCT {{ {S} {P} " + _nest("( ", "1", " )", n) + " } WHERE {}"
    ),
    "triple_term": lambda n: _where("BIND(" + _nest(f"<<( {S} {P} ", "1", " )>>", n) + " AS ?t)"),
    "union_chain": lambda n: _where(" UNION ".join(["{ ?s ?p ?o }"] * n)),
    "group_chain": lambda n: _where(" ".join(["{ ?s ?p ?o }"] * n)),
    "optional_chain": lambda n: _where("?s ?p ?o " + " ".join(["OPTIONAL { ?s ?p ?o }"] * n)),
    "bind_chain": lambda n: _where(_chain(lambda i: f"BIND(1 AS ?b{i})", " ")(n)),
    "filter_chain": lambda n: _where("?s ?p ?o " + " ".join(["FILTER(?o)"] * n)),
    "select_expr_chain": lambda n: "SELECT " + _chain(lambda i: f"(1 AS ?e{i})", " ")(n) + " {}",
    "expr_plus_chain": lambda n: _filter(" + ".join(["?o"] * n)),
    "expr_and_chain": lambda n: _filter(" && ".join(["?o"] * n)),
    "expr_in_list": lambda n: _filter("?o IN (" + ", ".join(["1"] * n) + ")"),
    "path_seq_chain": lambda n: _where("?s " + "/".join([P] * n) + " ?o"),
    "path_alt_chain": lambda n: _where("?s " + "|".join([P] * n) + " ?o"),
    "triples_flat": lambda n: _where(_chain(lambda i: f"?s {P} ?o{i}", " . ")(n)),
    "values_rows": lambda n: _where("?s ?p ?o VALUES ?o { " + " ".join(["1"] * n) + " }"),
    "update_where_nested": lambda n: (
        "INSERT { ?s ?p ?o } WHERE " + _nest("{ ", "?s ?p ?o", " }", n)
    ),
    "update_data_bnode": lambda n: (
        f"INSERT DATA {{ {S} {P} " + _nest(f"[ {P} ", "1", " ]", n) + " }"
    ),
    "update_data_collection": lambda n: (
        f"INSERT DATA {{ {S} {P} " + _nest("( ", "1", " )", n) + " }"
    ),
    "update_ops_chain": _chain(lambda i: f"INSERT DATA {{ {S} {P} {i} }}", " ; "),
}
"""SPARQL texts; names starting with ``update_`` go to ``Store.update``, others to ``query``."""

_RDF_XML_OPEN = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
)
RDF: dict[str, tuple[str, Callable[[int], str]]] = {
    "turtle_bnode": ("turtle", lambda n: f"{S} {P} " + _nest(f"[ {P} ", "1", " ]", n) + " ."),
    "turtle_collection": ("turtle", lambda n: f"{S} {P} " + _nest("( ", "1", " )", n) + " ."),
    "turtle_triple_term": (
        "turtle",
        lambda n: f"{S} {P} " + _nest(f"<<( {S} {P} ", "1", " )>>", n) + " .",
    ),
    "trig_bnode": (
        "trig",
        lambda n: f"<http://e/g> {{ {S} {P} " + _nest(f"[ {P} ", "1", " ]", n) + " }",
    ),
    "ntriples_triple_term": (
        "ntriples",
        lambda n: f"{S} {P} " + _nest(f"<<( {S} {P} ", '"1"', " )>>", n) + " .",
    ),
    "jsonld_object": (
        "jsonld",
        lambda n: (
            '{"@id": "http://e/s", "http://e/p": ' + _nest('{"http://e/p": ', "1", "}", n) + "}"
        ),
    ),
    "jsonld_list": (
        "jsonld",
        lambda n: '{"@id": "http://e/s", "http://e/p": ' + _nest('{"@list": [', "1", "]}", n) + "}",
    ),
    "jsonld_array": (
        "jsonld",
        lambda n: '{"@id": "http://e/s", "http://e/p": ' + _nest("[", "1", "]", n) + "}",
    ),
    "rdfxml_nested": (
        "rdfxml",
        lambda n: (
            _RDF_XML_OPEN
            + _nest("<rdf:Description><e:p>", "1", "</e:p></rdf:Description>", n)
            + "</rdf:RDF>"
        ),
    ),
}
"""RDF bodies by syntax, parsed with ``pyoxigraph.parse``."""

RDFLIB: dict[str, str] = {
    "rdflib_sparql/group_braces": "group_braces",
    "rdflib_sparql/expr_parens": "expr_parens",
    "rdflib_sparql/union_chain": "union_chain",
}
"""The same SPARQL through rdflib's pyparsing grammar (``prepareQuery``)."""


def constructs() -> list[str]:
    """Return every construct the bench knows, as ``family/name``."""
    return [f"sparql/{k}" for k in SPARQL] + [f"rdf/{k}" for k in RDF] + list(RDFLIB)


def run_one(name: str, depth: int) -> str:
    """Parse (and evaluate) one construct at one depth in this process; return the outcome."""
    import pyoxigraph as ox

    family, key = name.split("/", 1)
    try:
        if family == "sparql":
            store = ox.Store()
            store.add(
                ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal(1))
            )
            if key.startswith("update_"):
                store.update(SPARQL[key](depth))
            elif isinstance(result := store.query(SPARQL[key](depth)), ox.QuerySolutions):
                list(result)
        elif family == "rdf":
            syntax, build = RDF[key]
            formats = {"turtle": ox.RdfFormat.TURTLE, "trig": ox.RdfFormat.TRIG,
                       "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
                       "rdfxml": ox.RdfFormat.RDF_XML}  # fmt: skip
            list(ox.parse(build(depth).encode(), formats[syntax]))
        else:
            from rdflib.plugins.sparql import prepareQuery

            prepareQuery(SPARQL[RDFLIB[name]](depth))
    except RecursionError:
        return "error:RecursionError"
    except Exception as exc:
        return f"error:{type(exc).__name__}"
    return "ok"


def probe(name: str, depth: int, stack_kib: int | None) -> str:
    """Run one construct in a subprocess: ``ok``, ``error:<Type>``, ``CRASH:<signal>``."""
    cmd = [sys.executable, __file__, "--child", name, str(depth)]
    if stack_kib:
        cmd += ["--stack-kib", str(stack_kib)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode < 0:
        return "CRASH:" + signal.Signals(-done.returncode).name
    lines = done.stdout.strip().splitlines()
    return lines[-1] if done.returncode == 0 and lines else f"exit:{done.returncode}"


def first_crash(name: str, fine: int, crashed: int, stack_kib: int | None) -> int:
    """Bisect between a depth that did not crash and one that did, to within 2%."""
    while crashed - fine > max(1, fine // 50):
        middle = (fine + crashed) // 2
        if probe(name, middle, stack_kib).startswith("CRASH"):
            crashed = middle
        else:
            fine = middle
    return crashed


def survey(name: str, stack_kib: int | None) -> dict[str, object]:
    """Probe one construct at each of ``DEPTHS`` until it crashes or times out."""
    row: dict[str, object] = {}
    fine, crashed = 1, None
    for depth in DEPTHS:
        outcome = row[str(depth)] = probe(name, depth, stack_kib)
        if outcome.startswith("CRASH"):
            crashed = depth
            break
        if outcome == "timeout":
            break
        fine = depth
    row["first_crash"] = None if crashed is None else first_crash(name, fine, crashed, stack_kib)
    return row


def print_table(rows: dict[str, dict[str, object]], title: str) -> None:
    """Print construct x depth, then the first crashing depth."""
    print(title)
    header = f"{'construct':30}" + "".join(f"{d:>8}" for d in DEPTHS) + f"{'1st crash':>11}"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        cells = [str(row.get(str(d), "-")) for d in DEPTHS]
        cells = ["CRASH" if c.startswith("CRASH") else c.split(":")[0] for c in cells]
        print(f"{name:30}" + "".join(f"{c:>8}" for c in cells) + f"{row['first_crash'] or '-':>11}")


def _child(name: str, depth: int, stack_kib: int | None) -> None:
    if not stack_kib:
        print(run_one(name, depth), flush=True)
        return
    threading.stack_size(stack_kib * 1024)
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(run_one(name, depth)))
    worker.start()
    worker.join()
    print(outcome[0], flush=True)


def main() -> None:
    """Survey the constructs and print the table (and write JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("CONSTRUCT", "DEPTH"), help=argparse.SUPPRESS)
    parser.add_argument("--stack-kib", type=int, help="run in a thread with this stack size")
    parser.add_argument("--only", action="append", help="a construct to probe (repeatable)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.stack_kib)
        return
    names = args.only or constructs()
    started = time.monotonic()
    with ThreadPoolExecutor(args.workers) as pool:
        surveyed = pool.map(lambda n: survey(n, args.stack_kib), names)
        rows = dict(zip(names, surveyed, strict=True))
    where = f"a thread with a {args.stack_kib} KiB stack" if args.stack_kib else "the main thread"
    print_table(rows, f"pyoxigraph parser limits in {where}, {time.monotonic() - started:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
