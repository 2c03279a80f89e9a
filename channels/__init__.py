"""Channel adapters: one package per channel, each turning its channel's traffic into plain events and back."""
