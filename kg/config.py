"""Settings: one frozen dataclass, read once from the environment (prefix ``AICAP_``).

Each field carries its default and help text beside it, the way Datasette's ``SETTINGS``
table does, so the CLI, the docs and validation all read the same table. Nothing else in
the project reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.bundled import BUNDLE_DIR
from kg.errors import BadParameter
from kg.namespaces import BASE_IRI


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Everything that configures the library and the service."""

    data_dir: Path = _setting(Path("aicap-data"), "where the embedded store lives")
    write_token: str | None = _setting(
        None, "bearer token that writes need; unset = the service is read-only"
    )
    write_token_name: str = _setting(
        "token-holder", "name recorded in the audit graph for writes made with the token"
    )
    audit_writes: bool = _setting(
        True,
        "record each accepted write in <base>graph/audit, in its transaction (false: no "
        "records, for a run that needs the dataset to hold only what it wrote, as the W3C suite)",
    )
    query_timeout_s: float = _setting(30.0, "a query running longer is stopped (503)")
    query_workers: int = _setting(
        2,
        "worker processes that evaluate queries at once; a query waits at most 1 s for one "
        "(then 503), and one past the time limit is stopped by killing its worker",
    )
    max_body_bytes: int = _setting(10 * 1024 * 1024, "larger request bodies get 413")
    max_result_rows: int = _setting(100_000, "cap on rows returned; the response says it was cut")
    union_default_graph: bool = _setting(
        True, "a query's default graph is the union of all graphs (false: strict SPARQL dataset)"
    )
    backend: str = _setting("embedded", "`embedded`, or the query URL of a remote SPARQL store")
    backend_update_url: str | None = _setting(None, "update URL of the remote store")
    backend_user: str | None = _setting(None, "user for the remote store")
    backend_password: str | None = _setting(None, "password for the remote store")
    base_iri: str = _setting(BASE_IRI, "resources are <base>id/<rest>; served at /id/<rest>")
    allowed_service_urls: tuple[str, ...] = _setting(
        (), "comma-separated URLs that SERVICE and LOAD may reach; empty = none"
    )
    bundle_dir: Path = _setting(
        BUNDLE_DIR,
        "where ontology/, shapes/, queries/ and data/ are read from (default: the package's own)",
    )

    @property
    def ontology_dir(self) -> Path:
        """The OWL ontology, ``*.ttl``, loaded into the ontology graph of an empty store."""
        return self.bundle_dir / "ontology"

    @property
    def shapes_dir(self) -> Path:
        """The SHACL shapes, ``*.ttl``."""
        return self.bundle_dir / "shapes"

    @property
    def bundled_data_dir(self) -> Path:
        """The bundled data, ``*.trig``, and the copies of its sources."""
        return self.bundle_dir / "data"

    @property
    def queries_dir(self) -> Path:
        """The stored analyst questions, ``*.rq``."""
        return self.bundle_dir / "queries"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, prefix: str = "AICAP_", **overrides: Any
    ) -> Settings:
        """Build settings from ``AICAP_*`` variables, then apply explicit overrides.

        Raises:
            BadParameter: a variable whose value does not fit the field's type.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(prefix + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw, prefix)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def help_table(cls) -> list[tuple[str, str, str]]:
        """Return (variable, default, help) for every setting, for docs and `--help`."""
        return [
            (f"AICAP_{f.name.upper()}", repr(f.default), f.metadata["help"])
            for f in dataclasses.fields(cls)
        ]


def _coerce(name: str, type_name: Any, raw: str, prefix: str) -> Any:
    variable = prefix + name.upper()
    kind = str(type_name)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(raw)
            return lowered in {"true", "1", "yes"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        raise BadParameter(f"{variable}={raw!r} is not a valid {kind}") from None
    return raw
