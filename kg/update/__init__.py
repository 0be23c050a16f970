"""The write path: SPARQL Update and the Graph Store Protocol computed as a change (quads
added and removed) without writing, graph management, and the audit record of a write."""
