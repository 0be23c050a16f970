"""SHACL validation: the shapes, the report, and validating a change in the context of the
stored graph (only the nodes it touches and what their shapes reach)."""
