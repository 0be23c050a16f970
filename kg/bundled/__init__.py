"""The files the package carries: the ontology, the shapes, the stored queries and the data.

They are edited in the repository's top-level folders (``ontology/``, ``shapes/``,
``queries/``, ``data/``); the links in this package's folder make them package data, so
that a wheel carries them and an installed package finds them here, through
`importlib.resources`, like any other file of the package.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLE_DIR = Path(str(files(__name__)))
"""The folder that holds ``ontology/``, ``shapes/``, ``queries/`` and ``data/`` (pip installs
packages unpacked, so package data is a real folder on disk)."""
