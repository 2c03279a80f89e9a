"""Channel adapters: one package per channel on the port in ``services.channels``, each turning its channel's
traffic into plain events and back."""
