"""Telegram adapters: parse the update, call a service with plain values, render the reply."""

from __future__ import annotations

from telegram.ext import Application

from channels.telegram import core, join, mycases, officer, prompts, report, subscribe, supervisor

#: Feature modules, each with ``register(app)``. Order matters inside a handler group: earlier wins.
FEATURES: list = [core, subscribe, join, report, mycases, officer, supervisor, prompts]  # type: ignore[type-arg]


def register_all(app: Application) -> None:  # type: ignore[type-arg]
    """Register every feature's handlers, then the catch-alls."""
    for module in FEATURES:
        module.register(app)
    core.register_fallbacks(app)
