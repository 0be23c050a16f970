"""Where the quads live: the `Store` protocol, the embedded pyoxigraph store, skolem IRIs,
term conversion and the default dataset of a query. Everything above talks to a `Store`."""
