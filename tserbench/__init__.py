"""tserbench: a benchmark harness for time-series extrinsic regression (TSER)."""

__version__ = "0.1.0"
