"""The Evolve stage: evaluations kept in the store, listed, compared and charted over time."""
