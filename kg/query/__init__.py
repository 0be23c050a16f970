"""The query path: guards before any parser, the executor and its worker processes (time
limit, row cap), solutions as tables, and the catalogue of stored analyst questions."""
