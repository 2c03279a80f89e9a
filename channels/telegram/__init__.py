"""Telegram: the PTB handlers (``handlers.register``), the renderer of replies and the outbox sender of notices."""

#: The channel's name in identities, outbox rows and photos.
CHANNEL = "telegram"
