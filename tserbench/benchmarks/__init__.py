"""tserbench.benchmarks."""
