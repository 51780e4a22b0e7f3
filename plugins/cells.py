"""Built-in cells (placeholder until written)."""
