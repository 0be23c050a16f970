"""The `aicap` command: serve, load, validate, query, export, reason (docs/contract.md).

Settings are read once from the environment (``AICAP_*``); flags such as ``--data-dir``
override them. Every command opens the store through `KnowledgeGraph.open`, which loads
the bundled data into an empty one. Library errors become a message on stderr and the exit
status of `EXIT_CODES`, never a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from aicap.progress import LoadReporter
from kg.config import Settings
from kg.errors import (
    AlreadyLoaded,
    BadInput,
    BadParameter,
    Forbidden,
    Inconsistent,
    KgError,
    QueryTimeout,
    ShapeViolation,
    UnknownQuery,
    UnknownResource,
)
from kg.graph import KnowledgeGraph
from kg.namespaces import INFERRED_GRAPH
from kg.rdf.formats import (
    EXPORT_NAMES,
    RDF_SYNTAXES,
    RESULTS_FORMATS,
    RdfSyntax,
    ResultsFormat,
    rdf_syntax,
    render_table,
    results_format,
    serialize_results,
)
from kg.validation.report import ValidationReport

EXIT_CODES: dict[type[KgError], int] = {
    ShapeViolation: 1,  # the report goes to stderr; nothing was written
    Inconsistent: 1,  # names the classes and individuals at fault
    QueryTimeout: 1,
    BadInput: 2,  # RDF and SPARQL syntax errors, unknown formats, missing or bad parameters
    UnknownQuery: 2,  # lists the stored queries
    UnknownResource: 2,  # lists the known firms, people or graphs
    Forbidden: 2,  # SERVICE to a URL that is not allowed
    AlreadyLoaded: 3,  # names the earlier load of the same bytes; --replace swaps it
}
"""Exit status of each library error; a subclass takes its nearest listed ancestor's."""

OTHER_ERROR_EXIT = 1
"""Exit status of any other library error, and of a store that cannot be opened."""

QUERY_FORMATS = ("table", *(f.name for f in RESULTS_FORMATS), *(s.name for s in RDF_SYNTAXES))

_F = TypeVar("_F", bound=Callable[..., Any])


def exit_code(error: KgError) -> int:
    """Return the exit status of a library error (its nearest class in `EXIT_CODES`)."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return OTHER_ERROR_EXIT


class _Cli(click.Group):
    """The group that turns known errors into a message on stderr and an exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as error:
            _fail(ctx, str(error), exit_code(error))
        except OSError as error:  # a store held by another process, an unwritable --out ...
            _fail(ctx, f"{error.strerror or error}: {error.filename or ''}", OTHER_ERROR_EXIT)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    click.echo(f"aicap {ctx.invoked_subcommand or ''}: {message}".rstrip(), err=True)
    ctx.exit(code)


@click.group(cls=_Cli)
@click.pass_context
def main(ctx: click.Context) -> None:
    """aicap: the knowledge graph of the 2025 AI compute deals."""
    if not isinstance(ctx.obj, Settings):  # tests pass their own Settings as `obj`
        ctx.obj = Settings.from_env()


def _data_dir(command: _F) -> _F:
    option = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the embedded store lives [env AICAP_DATA_DIR; default ./aicap-data].",
    )
    return option(command)


def _settings(ctx: click.Context, data_dir: Path | None) -> Settings:
    settings: Settings = ctx.find_root().obj
    return settings if data_dir is None else dataclasses.replace(settings, data_dir=data_dir)


@contextlib.contextmanager
def _opened(ctx: click.Context, data_dir: Path | None) -> Iterator[KnowledgeGraph]:
    kg = KnowledgeGraph.open(_settings(ctx, data_dir))
    try:
        yield kg
    finally:
        kg.close()


_FILES = click.argument(
    "files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port (0: any).")
@_data_dir
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, data_dir: Path | None) -> None:
    """Run the HTTP service (SPARQL, stored queries) until SIGTERM or Ctrl-C."""
    from server.wsgi import serve as run  # only serve needs Flask; the rest start faster without it

    run(_settings(ctx, data_dir), host, port)


@main.command()
@_FILES
@click.option("--graph", metavar="IRI", help="Graph for triples outside a named graph.")
@click.option(
    "--replace", is_flag=True,
    help="Swap an earlier load of the same file's bytes for this one instead of refusing.",
)  # fmt: skip
@_data_dir
@click.pass_context
def load(
    ctx: click.Context,
    files: Sequence[Path],
    graph: str | None,
    replace: bool,
    data_dir: Path | None,
) -> None:
    """Validate FILES against the shapes and commit them in one transaction.

    The syntax comes from the suffix (.ttl .nt .nq .trig .jsonld .rdf .owl). Exit 0 when
    loaded, 1 when a shape is broken (nothing written), 2 on bad input, 3 when a file's
    bytes were loaded before (it would count every figure twice; --replace swaps the
    earlier load). Progress goes to stderr: a bar on a terminal, plain lines otherwise.
    """
    if not files:
        raise click.UsageError("give at least one FILE to load")
    with _opened(ctx, data_dir) as kg, LoadReporter(sys.stderr) as progress:
        outcome = kg.load(files, graph, progress=progress, replace=replace)
        progress.committed(outcome.quads)
    for earlier in outcome.replaced:
        click.echo(
            f"replaced the load <{earlier.activity.value}> of {earlier.title} ({earlier.started})"
        )
    for loaded in outcome.files:
        graphs = ", ".join(str(g) for g in loaded.graphs) or "(no graph)"
        click.echo(f"loaded {loaded.source}: {loaded.quad_count} quads into {graphs}")
    if outcome.report.results:
        click.echo(outcome.report.text, err=True)


@main.command()
@_FILES
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
    show_default=True, help="How to print the SHACL report.",
)  # fmt: skip
@_data_dir
@click.pass_context
def validate(ctx: click.Context, files: Sequence[Path], fmt: str, data_dir: Path | None) -> None:
    """Check FILES as new triples in the context of the stored graph (none: the whole graph).

    Prints the SHACL report and writes nothing. Exit 0 when it conforms, 1 on violations,
    2 on bad input.
    """
    with _opened(ctx, data_dir) as kg:
        report = kg.validate(kg.change_from_files(files) if files else None)
    click.echo(_report_text(report, fmt))
    ctx.exit(0 if report.conforms else 1)


def _report_text(report: ValidationReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, ensure_ascii=False)
    if fmt == "turtle":
        return report.to_turtle()
    return report.text


@main.command()
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter value.")
@click.option("--sparql", metavar="TEXT", help="Run this SPARQL query instead of a stored one.")
@click.option(
    "--file", "query_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run the SPARQL query of this file instead of a stored one.",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True,
    help="json/xml/csv/tsv for SELECT and ASK; turtle, jsonld ... for CONSTRUCT.",
)  # fmt: skip
@_data_dir
@click.pass_context
def query(
    ctx: click.Context,
    name: str | None,
    params: Sequence[str],
    sparql: str | None,
    query_file: Path | None,
    fmt: str,
    data_dir: Path | None,
) -> None:
    """Run the stored query NAME (queries/NAME.rq), or an ad hoc one with --sparql or --file.

    Exit 0, or 2 on an unknown query, a missing or ill-typed parameter, a syntax error.
    """
    if sum(x is not None for x in (name, sparql, query_file)) != 1:
        raise click.UsageError("give exactly one of NAME, --sparql TEXT or --file F.rq")
    if params and name is None:
        raise click.UsageError("--param goes with a stored query NAME")
    values = _parse_params(params)
    with _opened(ctx, data_dir) as kg:
        if name is not None:
            result = kg.run_stored(name, values)
        else:
            text = sparql if query_file is None else query_file.read_text(encoding="utf-8")
            result = kg.query(text or "")
        output = _render(result, fmt)
    click.echo(output, nl=isinstance(output, str))


def _parse_params(params: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadParameter(f"--param {item!r} is not KEY=VALUE")
        if key in values:
            raise BadParameter(f"parameter {key!r} is given twice")
        values[key] = value
    return values


def _render(result: Any, fmt: str) -> str | bytes:
    if fmt == "table":
        return render_table(result)
    chosen: ResultsFormat | RdfSyntax
    chosen = results_format(fmt) if fmt in {f.name for f in RESULTS_FORMATS} else rdf_syntax(fmt)
    return serialize_results(result, chosen)


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_NAMES), default="trig", show_default=True,
    help="nq and trig keep each graph; ttl merges them; jsonld keeps them.",
)  # fmt: skip
@click.option("--graph", metavar="IRI", help="Export this graph alone.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@_data_dir
@click.pass_context
def export(
    ctx: click.Context, fmt: str, graph: str | None, out: Path | None, data_dir: Path | None
) -> None:
    """Write the dataset (or one graph) with its provenance, to stdout or --out."""
    with _opened(ctx, data_dir) as kg:
        if out is None:
            sys.stdout.flush()
            kg.export(sys.stdout.buffer, fmt, graph)
            sys.stdout.buffer.flush()
        else:
            with _replacing(out) as stream:
                kg.export(stream, fmt, graph)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside `path`; it replaces `path` only on success."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@main.command()
@_data_dir
@click.pass_context
def reason(ctx: click.Context, data_dir: Path | None) -> None:
    """Check consistency with the OWL reasoner; store the inferred triples in their graph.

    Exit 0 when consistent, 1 when inconsistent (the culprits are named).
    """
    with _opened(ctx, data_dir) as kg:
        outcome = kg.reason()
    click.echo(
        f"consistent: {outcome.inferred_triples} inferred triples in <{INFERRED_GRAPH}> "
        f"({outcome.seconds:.1f} s)"
    )
