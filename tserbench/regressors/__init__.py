"""tserbench.regressors."""
