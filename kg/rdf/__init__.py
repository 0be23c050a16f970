"""Reading and writing RDF: syntaxes and media types, parsing and loading files with their
provenance, the bundled data, streamed exports, JSON-LD and fetching an allowed URL; and
the syntax errors of RDF and SPARQL text, written the same way (`syntax_errors`)."""
