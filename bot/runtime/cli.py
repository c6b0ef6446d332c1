"""The `trainbot` command line: run, web, worker, console, db and keys."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from bot.runtime.logging_setup import configure_logging
from core.config import Settings, load_settings
from core.errors import AppError

logger = logging.getLogger("trainbot")


async def _db(settings: Settings, action: str) -> None:
    from core.db import migrate
    from core.db.engine import make_engine

    engine = make_engine(settings.database_url)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine)
            print(f"Database is at revision {await migrate.current(engine)}.")
        elif action == "downgrade":
            await migrate.downgrade(engine, "base")
            print("Database schema removed.")
        else:
            print(f"Database is at revision {await migrate.current(engine) or 'none'}.")
    finally:
        await engine.dispose()


async def _db_copy(args: argparse.Namespace) -> None:
    from core.db.copy import TableCopy, copy_database

    if not args.source or not args.target:
        raise AppError("db copy needs --from URL and --to URL.")
    print(
        "Stop the bot first (every run, web and worker process): "
        "rows it writes during the copy would not reach the target.",
        flush=True,
    )

    def shown(t: TableCopy) -> None:
        line = f"  {t.table:<22} {t.rows:>9} rows copied, checksum ok ({t.checksum[:12]})"
        print(line, flush=True)

    r = await copy_database(
        args.source, args.target, force=args.force, batch_size=args.batch, on_table=shown
    )
    replaced = f", replacing its {r.replaced_users} users" if r.replaced_users else ""
    print(
        f"Copied {r.rows} rows in {len(r.tables)} tables from {r.source} to {r.target}{replaced} "
        f"in {r.seconds:.1f} s at revision {r.revision}: counts and checksums match, "
        "id sequences continue after the copied rows."
    )
    print(
        "Next: carry DATA_DIR/credentials.key into CREDENTIALS_KEYS (and DATA_DIR/session.key "
        "into SESSION_SECRET), point DATABASE_URL at the target, start the bot."
    )


async def _keys_rotate(settings: Settings) -> None:
    from core.bootstrap import build
    from core.garmin.keys import rotate_all

    container = build(settings)
    try:
        count = await rotate_all(container.uow, container.cipher)
        print(f"Re-encrypted {count} stored secrets with the first key of CREDENTIALS_KEYS.")
    finally:
        await container.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trainbot", description="Training Analyzer Bot")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="long polling + scheduler in one process (console without token)")
    sub.add_parser("web", help="webhook server: Telegram updates, Stripe events, /healthz")
    sub.add_parser("worker", help="the scheduler alone")
    sub.add_parser("console", help="chat with the bot in this terminal")
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current", "downgrade", "copy"])
    db.add_argument("--from", dest="source", metavar="URL", help="copy: the bot database to read")
    db.add_argument("--to", dest="target", metavar="URL", help="copy: the database to fill")
    db.add_argument("--force", action="store_true", help="copy: replace a target that has users")
    db.add_argument("--batch", type=int, default=1000, metavar="N", help="copy: rows per batch")
    keys = sub.add_parser("keys", help="credential encryption keys")
    keys.add_argument("action", choices=["new", "rotate"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings)
        if args.command == "keys" and args.action == "new":
            from core.gateways.cipher import new_key

            print(new_key())
            return 0
        job: Callable[[], Awaitable[None]]
        if args.command == "db" and args.action == "copy":
            job = lambda: _db_copy(args)  # noqa: E731
        elif args.command == "db":
            job = lambda: _db(settings, args.action)  # noqa: E731
        elif args.command == "keys":
            job = lambda: _keys_rotate(settings)  # noqa: E731
        else:
            from bot.runtime.app import start as start_mode

            settings.check_for_start()
            job = lambda: start_mode(settings, args.command)  # noqa: E731
        asyncio.run(job())
        return 0
    except AppError as exc:
        print(f"trainbot: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
