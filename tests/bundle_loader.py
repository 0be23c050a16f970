"""The bundled data as plain RDF, for tests that check the files themselves.

The ontology goes into graph/ontology and each TriG file keeps its graphs, as the service
loads them, but blank nodes stay blank nodes (no Skolem IRIs) and no load records are
added: these tests read what the files say, not what a store made of them.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.bundled import BUNDLE_DIR
from kg.namespaces import ONTOLOGY_GRAPH


def load_bundled(store: ox.Store) -> ox.Store:
    """Load the bundled ontology and data into `store`, and return it."""
    for path in sorted((BUNDLE_DIR / "ontology").glob("*.ttl")):
        store.load(
            path=path, format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH))
        )
    for path in sorted((BUNDLE_DIR / "data").glob("*.trig")):
        store.load(path=path, format=ox.RdfFormat.TRIG)
    return store
