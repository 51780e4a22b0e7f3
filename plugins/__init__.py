"""The built-in plugins: written against lossbench\x27s public API only, exactly as a third party would."""
