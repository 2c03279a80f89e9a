"""Channel adapters: each turns one outside system's protocol into calls of the services."""
