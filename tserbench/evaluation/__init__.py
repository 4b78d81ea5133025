"""tserbench.evaluation."""
