"""Built-in losses (placeholder until written)."""
