"""The engine's operations on bytes: inspect, clean, compress, and `run`, the one entry point
the adapters (browser bridge, CLI) call."""
