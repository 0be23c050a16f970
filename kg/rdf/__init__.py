"""Reading and writing RDF: syntaxes and media types, parsing and loading files with their
provenance, the bundled data, streamed exports, JSON-LD and fetching an allowed URL."""
