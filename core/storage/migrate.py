"""Apply Alembic migrations, at bot start-up or on their own: ``python -m core.storage.migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.config import ConfigError, load_settings
from core.storage.engine import make_engine

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Any constant works; it only has to be the same in every bot process sharing the database.
_MIGRATION_LOCK_ID = 0x5_4ED_117


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config(connection)
    if action == "upgrade":
        command.upgrade(config, revision)
    elif action == "downgrade":
        command.downgrade(config, revision)
    else:
        command.current(config)


async def migrate(engine: AsyncEngine, action: str = "upgrade", revision: str = "head") -> None:
    """Run one Alembic action on ``engine``; concurrent bot processes take turns on PostgreSQL."""
    async with engine.connect() as connection:
        if engine.dialect.name != "postgresql":
            await connection.run_sync(_run, action, revision)
            await connection.commit()
            return
        await connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        try:
            await connection.run_sync(_run, action, revision)
            await connection.commit()
        finally:
            await _unlock(connection)


async def _unlock(connection: AsyncConnection) -> None:
    """Release the migration lock, which outlives transactions: it belongs to the connection."""
    try:
        # After a failed migration the transaction is aborted and would refuse the unlock.
        await connection.rollback()
        await connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
        await connection.commit()
    except Exception as exc:  # the migration's own error, if any, is the one to report
        log.warning(
            "could not release the migration lock (%s); closing its connection instead", type(exc).__name__
        )
        # The server drops a closed session's locks; back in the pool, this one would keep it.
        await connection.invalidate()


async def _main(action: str, revision: str) -> None:
    engine = make_engine(load_settings().database_url)
    try:
        await migrate(engine, action, revision)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Migrate the Skedjit database named by DATABASE_URL.")
    parser.add_argument("action", nargs="?", default="upgrade", choices=["upgrade", "downgrade", "current"])
    parser.add_argument("revision", nargs="?", help="target revision (default: head, or -1 for downgrade)")
    args = parser.parse_args(argv)
    revision = args.revision or ("-1" if args.action == "downgrade" else "head")
    try:
        asyncio.run(_main(args.action, revision))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
