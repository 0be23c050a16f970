"""OWL reasoning: HermiT through owlready2 for consistency and inferred triples, and the
entailment helpers that turn the ontology into what the reasoner and queries need."""
