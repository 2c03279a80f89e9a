"""Channel adapters: one package per channel, each on the port in ``services.channels``."""
