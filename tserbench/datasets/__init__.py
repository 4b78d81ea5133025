"""tserbench.datasets."""
