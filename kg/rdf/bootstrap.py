"""The bundled ontology and data, and loading them into an empty store."""

from __future__ import annotations

import pyoxigraph as ox

from kg.config import Settings
from kg.namespaces import ONTOLOGY_GRAPH
from kg.rdf.loading import PreparedLoad, prepare_load
from kg.store.protocol import Store


def bundled_load(settings: Settings) -> PreparedLoad:
    """Parse the bundled RDF: ``ontology/*.ttl`` into `ONTOLOGY_GRAPH`, ``data/*.trig`` as is.

    Raises:
        RdfSyntaxError: a bundled file does not parse.
    """
    ontology = sorted(settings.ontology_dir.glob("*.ttl"))
    data = sorted(settings.bundled_data_dir.glob("*.trig"))
    schema = prepare_load(
        ontology, None, settings.base_iri, graph_for=ox.NamedNode(str(ONTOLOGY_GRAPH))
    )
    facts = prepare_load(data, None, settings.base_iri)
    return PreparedLoad(
        schema.quads + facts.quads, schema.records + facts.records, schema.files + facts.files
    )


def bootstrap(store: Store, settings: Settings) -> int:
    """Load the bundled ontology and data into an empty store, in one transaction.

    A store that holds anything is left as it is, so a second start reuses it.

    Returns:
        How many quads were written (0 when the store was not empty).

    Raises:
        RdfSyntaxError: a bundled file does not parse (nothing is written).
    """
    if store.count():
        return 0
    prepared = bundled_load(settings)
    change = prepared.change()
    if prepared.quads:
        store.apply_change(change)
    return len(change.added) if prepared.quads else 0
