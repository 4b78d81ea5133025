"""tserbench.networks."""
