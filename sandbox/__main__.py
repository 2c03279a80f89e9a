"""Run the sandbox alone: `python -m sandbox --port 8081 [--rate-limits] [--fault-rate 0.2]`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Offline Telegram Bot API sandbox, with the offline WeChat beside it"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", dest="tokens", help="only accept these bot tokens")
    parser.add_argument("--rate-limits", action="store_true", help="enforce Telegram's flood limits")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of sends failing with 5xx")
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(
                args.host,
                args.port,
                tokens=args.tokens,
                rate_limits=args.rate_limits,
                fault_rate=args.fault_rate,
                fault_seed=args.fault_seed,
            )
        )


if __name__ == "__main__":
    main()
