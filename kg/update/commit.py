"""What a write goes through and what it committed.

`WriteTarget` is what the write path needs of the knowledge graph (`KnowledgeGraph`
provides it): the store to read, validation in context, and the one commit. The write
modules take it as a parameter, so they stay below the facade that calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kg.config import Settings
from kg.rdf.loading import EarlierLoad, FileLoad
from kg.store.protocol import Change, Store
from kg.update.audit import Write
from kg.validation.report import ValidationReport


@dataclass(frozen=True)
class LoadOutcome:
    """What a load wrote: per file, its quads and graphs; the (passing) report; and the
    earlier loads of the same files that it replaced (`kg.update.loads`)."""

    files: tuple[FileLoad, ...]
    quads: int
    report: ValidationReport
    replaced: tuple[EarlierLoad, ...] = ()

    @property
    def graphs(self) -> list[str]:
        """The graphs the load wrote to, in order, without repeats."""
        return list(dict.fromkeys(str(g.value) for f in self.files for g in f.graphs))


@dataclass(frozen=True)
class Commit:
    """What `KnowledgeGraph.commit` wrote (records and audit left out), and the report."""

    change: Change
    report: ValidationReport


class WriteTarget(Protocol):
    """Where a write goes: `KnowledgeGraph`, seen from the write path."""

    settings: Settings
    store: Store

    def validate(self, change: Change | None = None) -> ValidationReport:
        """Validate a change in the context of the store (None: the whole store)."""

    def commit(self, prepare: Change | Callable[[Store], Change], write: Write) -> Commit:
        """Validate a write and apply it in one transaction."""
