"""The installed `trainbot` works from any directory, not only from the repository's root."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.integration.test_db_copy import CLI_CEILING_S


async def test_the_schema_is_migrated_from_outside_the_repository(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere.db"
    # No PYTHONPATH and another working directory: only what the install put on the path.
    env = {"PATH": os.environ.get("PATH", ""), "APP_ENV": "local", "DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "db", "upgrade", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=CLI_CEILING_S)
    assert process.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip() == "Database is at revision 0006_coach_acts."
    assert database.exists()
