"""aicap-kg: the knowledge-graph library (store, loading, validation, reasoning, queries, CLI).

The library never imports Flask; `server/` is the HTTP layer on top of it.
"""
