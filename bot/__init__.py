"""Composition root: settings, build_application(), the `citybot` CLI, i18n catalogs."""

import os

# python-telegram-bot 22 reports time spans (RetryAfter.retry_after, Location.live_period) as timedelta when this is
# set, and warns on every access otherwise; the project uses the timedelta form everywhere.
os.environ.setdefault("PTB_TIMEDELTA", "1")
