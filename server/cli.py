"""The `lantern` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from server.settings import Settings


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    settings = Settings(data_dir=Path(args.data_dir), demo=args.demo)
    app = create_app(settings)
    print(f"Lantern is starting: open http://{args.host}:{args.port}/ in a browser.", flush=True)
    if args.demo:
        print(
            "DEMO MODE: a demo school with demo-only keys in "
            f"{settings.data_dir / 'DEMO-ONLY-keys'}. Never record a real concern in it.",
            flush=True,
        )
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lantern", description="Lantern safeguarding server.")
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve", help="run the server")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    s.add_argument(
        "--data-dir", default=str(Settings().data_dir), help="folder for the database (default ./lantern-data)"
    )
    s.add_argument("--demo", action="store_true", help="create a demo school with DEMO-ONLY keys")
    s.set_defaults(run=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
