"""The offline Telegram: a local Bot API server the bot runs against unchanged, and a client for users."""

from __future__ import annotations

from sandbox.client import SandboxClient, SandboxError
from sandbox.server import SandboxServer, create_app, serve
from sandbox.views import Button, CallbackAnswer, ChatMessage, SandboxUser

__all__ = [
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "SandboxClient",
    "SandboxError",
    "SandboxServer",
    "SandboxUser",
    "create_app",
    "serve",
]
