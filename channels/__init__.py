"""Channel adapters: one package per channel, each turning its updates into the conversation service's events."""
