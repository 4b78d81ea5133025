"""tserbench.data."""
