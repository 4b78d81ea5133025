"""tserbench.tuning."""
