"""tserbench.preprocessing."""
