"""Telegram: the PTB handlers, the renderer of channel-neutral messages and the outbox sender."""

#: The channel's name in identities, outbox rows and photos.
CHANNEL = "telegram"
