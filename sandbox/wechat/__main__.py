"""Run the WeChat sandbox alone: ``python -m sandbox.wechat --port 8082 --callback http://127.0.0.1:8090/wechat``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from sandbox.wechat.server import serve
from sandbox.wechat.state import Account


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    defaults = Account()
    parser = argparse.ArgumentParser(prog="python -m sandbox.wechat", description="Offline WeChat Official Account")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--callback", help="the bot's callback URL, e.g. http://127.0.0.1:8090/wechat")
    parser.add_argument("--app-id", default=defaults.app_id)
    parser.add_argument("--app-secret", default=defaults.app_secret)
    parser.add_argument("--token", default=defaults.token)
    parser.add_argument("--aes-key", help="EncodingAESKey (43 characters): post in safe mode")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    account = Account(args.app_id, args.app_secret, args.token, args.aes_key, args.callback)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, account=account))


if __name__ == "__main__":
    main()
