"""aicap-kg: the knowledge-graph library (store, RDF, queries, writes, validation, reasoning).

`kg.graph.KnowledgeGraph`, opened with `kg.config.Settings`, is the one object the CLI and
the server use. The library never imports Flask or the server: `server/` is the HTTP layer
above it, and `aicap/` the command above both. This file imports nothing, so that a module
of the library costs only what it uses.
"""
