"""Built-in remedies (placeholder until written)."""
