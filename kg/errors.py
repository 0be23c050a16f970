"""The errors of the library. `server/errors.py` maps each to an HTTP status; the CLI to an
exit code. Nothing here knows about HTTP, and nothing here imports the rest of the library,
so every module can raise these without an import circle."""

from __future__ import annotations

from typing import Any, Protocol


class ShapeReport(Protocol):
    """What a refused write carries: a SHACL report, as `kg.validation.report` builds it."""

    @property
    def text(self) -> str:
        """The report for people, one result a line."""

    def to_json(self) -> dict[str, Any]:
        """The report as JSON: ``{"conforms", "results": [...]}``."""

    def to_turtle(self) -> str:
        """The SHACL report graph as Turtle."""


class KgError(Exception):
    """Base of every error the library raises on purpose.

    Args:
        message: what was wrong, with the figures.
        hint: what is accepted instead, or the setting to change.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class BadInput(KgError):
    """Input that cannot be used as given (base of the syntax and parameter errors)."""


class RdfSyntaxError(BadInput):
    """An RDF document that does not parse; the message names the source, line and column."""

    def __init__(
        self, message: str, *, source: str, line: int | None = None, column: int | None = None
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.column = column


class UnsupportedFormat(BadInput):
    """A file suffix or media type the service cannot parse or produce."""


class QuerySyntaxError(BadInput):
    """A SPARQL query or update that does not parse; the message gives the position."""


class UnknownQuery(KgError):
    """A stored query name that does not exist."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no stored query named {name!r}", "known queries: " + ", ".join(known))
        self.name = name
        self.known = known


class MissingParameter(BadInput):
    """A required stored-query parameter was not given."""


class BadParameter(BadInput):
    """A stored-query parameter whose value does not fit its type."""


class UnknownResource(KgError):
    """A firm, person, graph or resource that is not in the graph."""

    def __init__(self, message: str, known: list[str] | None = None) -> None:
        hint = None if known is None else "known: " + ", ".join(known)
        super().__init__(message, hint)
        self.known = known or []


class ShapeViolation(KgError):
    """A change that breaks a SHACL shape with severity sh:Violation; nothing was written."""

    def __init__(self, report: ShapeReport) -> None:
        super().__init__("the change breaks the shapes; nothing was written", report.text)
        self.report = report


class AlreadyLoaded(KgError):
    """A file whose bytes an earlier load read already (same SHA-256); nothing was written.

    Loading them again would add every figure a second time. The CLI's ``--replace``
    (HTTP ``replace=true``) swaps the earlier load for the new one instead.

    Args:
        message: the file, and the earlier load's activity IRI, file name and time.
        earlier: the IRI of the earlier load's activity (in the loads graph).
        hint: how to replace the earlier load instead.
    """

    def __init__(self, message: str, earlier: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.earlier = earlier


class QueryTimeout(KgError):
    """A query that ran past the configured limit and was stopped."""


class Overloaded(KgError):
    """Every query worker stayed busy for longer than a request may wait for one (503)."""


class TooComplex(BadInput):
    """A query, update or RDF body nested or sized beyond what the parsers survive (400).

    Raised by `kg.query.guards` and `kg.rdf.body_guards` before any parser sees the text:
    deeper input overflows pyoxigraph's stack and kills the process
    (bench/parser_limits.py).
    """


class TooLarge(BadInput):
    """A request body longer than the configured limit (the server answers 413)."""


class UnsafeInput(BadInput):
    """RDF a parser would fetch, read a file or expand for (XXE, remote JSON-LD contexts)."""


class UnsafeQuery(BadInput):
    """A query that crashed the engine (e.g. a parser stack overflow); its worker was replaced."""


class ReadOnly(KgError):
    """A write on a service that has no write token configured."""


class Unauthorized(KgError):
    """A write without the right bearer token."""


class Forbidden(KgError):
    """An operation the service refuses on principle (SERVICE, LOAD to unlisted URLs)."""


class Inconsistent(KgError):
    """The OWL reasoner found the ontology and data inconsistent."""

    def __init__(self, message: str, culprits: list[str], details: Any = None) -> None:
        super().__init__(message, "culprits: " + ", ".join(culprits) if culprits else None)
        self.culprits = culprits
        self.details = details
