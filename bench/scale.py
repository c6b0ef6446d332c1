"""Updates/s through the Telegram webhook with one `trainbot web` instance and with two, on
PostgreSQL + Redis, in one run: ratio two/one, p50/p99 of the webhook answer (sent once the
update was handled), lost and doubled answers.

    TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
    TEST_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/scale.py [--updates 2000]

Each instance is a real process (tests.fakes.run_web, the product's `run_web`); the fake Bot
API and the sender (Telegram's side, 40 connections, round robin) run in this process. On a
2-core machine PostgreSQL, Redis, the fake, the sender and the instances share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import percentile  # noqa: E402
from bench._scale_push import run as two_workers_push  # noqa: E402
from core.gateways.cipher import new_key  # noqa: E402
from tests import db  # noqa: E402
from tests.fakes import updates as u  # noqa: E402
from tests.fakes.bot_api import FakeBotAPI  # noqa: E402
from tests.fakes.webhook_sender import WebhookSender  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-scale-secret"
CHATS = 1000  # one update per chat in flight: no chat waits on its own lock


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far."""
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = cpu[3] + cpu[4]
    return sum(cpu) - idle, sum(cpu)


def _cpu_of(names: tuple[str, ...]) -> dict[int, float]:
    """CPU seconds so far of every process with one of these command names (the database,
    Redis), by pid, to say where the machine's time went."""
    found: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        if comm.startswith(names):
            fields = text.rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK"
            )
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two samples by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.run_web"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip


async def _healthy(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(240):
            try:
                async with session.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    raise SystemExit(f"{url} did not start")


async def run(instances: int, n_updates: int, url: str, redis_url: str, tmp: Path) -> dict:
    prefix = f"bench-scale-{uuid.uuid4().hex[:8]}:"
    async with FakeBotAPI() as api:
        ports = [_free_port() for _ in range(instances)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        key = new_key()
        procs = []
        for i, port in enumerate(ports):
            env = {
                **os.environ, "APP_ENV": "local", "LOG_LEVEL": "WARNING", "DATABASE_URL": url,
                "REDIS_URL": redis_url, "REDIS_PREFIX": prefix,
                "TELEGRAM_BOT_TOKEN": u.DEFAULT_TOKEN, "TELEGRAM_API_BASE": api.base_url,
                "WEBHOOK_URL": urls[i], "WEBHOOK_SECRET": SECRET, "PORT": str(port),
                "CREDENTIALS_KEYS": key, "DATA_DIR": str(tmp / f"d{instances}{i}"),
            }  # fmt: skip
            procs.append(_spawn(env, tmp / f"web{instances}-{i}.log"))
        try:
            for target in urls:
                await _healthy(target)
            chats = [8_000_000 + instances * 10_000 + i for i in range(CHATS)]
            async with WebhookSender(urls, SECRET, give_up_s=120) as sender:
                await sender.send_all([u.command("start", chat_id=c) for c in chats])
                before = {c: len(api.sent_texts(c)) for c in chats}
                load = [u.command("goal", chat_id=chats[i % CHATS]) for i in range(n_updates)]
                pg0, redis0 = _cpu_of(("postgres",)), _cpu_of(("redis",))
                cpu0 = [_cpu_s(p.pid) for p in procs], time.process_time(), _machine()
                start = time.perf_counter()
                done = await sender.send_all(load)
                elapsed = time.perf_counter() - start
                cpu1 = [_cpu_s(p.pid) for p in procs], time.process_time(), _machine()
                pg1, redis1 = _cpu_of(("postgres",)), _cpu_of(("redis",))
            expected: dict[int, int] = {}
            for i in range(n_updates):
                expected[chats[i % CHATS]] = expected.get(chats[i % CHATS], 0) + 1
            got = {c: len(api.sent_texts(c)) - before[c] for c in chats}
            lost = sum(max(0, expected[c] - got[c]) for c in chats)
            doubled = sum(max(0, got[c] - expected[c]) for c in chats)
            latencies = [d.seconds * 1000 for d in done]
            return {
                "instances": instances,
                "updates": n_updates,
                "per_s": n_updates / elapsed,
                "p50_ms": percentile(latencies, 50),
                "p99_ms": percentile(latencies, 99),
                "lost": lost,
                "doubled": doubled,
                "redelivered": sum(1 for d in done if len(d.attempts) > 1),
                # share of one core each instance, and this process (fake + sender), used
                "web_cpu": [(b - a) / elapsed for a, b in zip(cpu0[0], cpu1[0], strict=True)],
                "load_cpu": (cpu1[1] - cpu0[1]) / elapsed,
                "pg_cpu": _spent(pg0, pg1) / elapsed,
                "redis_cpu": _spent(redis0, redis1) / elapsed,
                "machine_busy": (cpu1[2][0] - cpu0[2][0]) / max(1, cpu1[2][1] - cpu0[2][1]),
            }
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument(
        "--rounds", type=int, default=1, help="one and two instances in turn, best of each"
    )
    parser.add_argument("--push-users", type=int, default=10_000, help="0: no push half")
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    if not db.pg_admin_url():
        raise SystemExit(f"needs {db.PG_ENV}")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for instances in (1, 2):
                url = await db.create_pg_database("trainbot_bench_scale")
                try:
                    await db.migrate_url(url)
                    runs.append(await run(instances, args.updates, url, redis_url, Path(tmp)))
                finally:
                    await db.drop_pg_database(url)
    print(
        f"cores: {os.cpu_count()}, updates per run: {args.updates}, /goal over {CHATS} chats, "
        f"rounds: {args.rounds} (best of each shown; lost and doubled summed over all runs)"
    )
    for n in (1, 2):
        each = ", ".join(f"{r['per_s']:.0f}" for r in runs if r["instances"] == n)
        print(f"{n} web, every run: {each} updates/s")
    rows = [max((r for r in runs if r["instances"] == n), key=lambda r: r["per_s"]) for n in (1, 2)]
    lost, doubled = sum(r["lost"] for r in runs), sum(r["doubled"] for r in runs)
    print(f"lost {lost}, doubled {doubled} over {len(runs) * args.updates} updates")
    for r in rows:
        print(
            f"{r['instances']} web: {r['per_s']:.0f} updates/s, p50 {r['p50_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms, lost {r['lost']}, doubled {r['doubled']}, "
            f"redelivered {r['redelivered']}"
        )
        print(
            "   CPU (cores): web " + " + ".join(f"{c:.2f}" for c in r["web_cpu"])
            + f", fake Bot API + sender {r['load_cpu']:.2f}, PostgreSQL {r['pg_cpu']:.2f}"
            f" (all databases), Redis {r['redis_cpu']:.2f}; machine busy "
            f"{r['machine_busy']:.0%}"
        )  # fmt: skip
    print(f"two/one: {rows[1]['per_s'] / rows[0]['per_s']:.2f}")
    if args.push_users:
        print(f"\nmorning push, two workers, {args.push_users} users due, limit 300/s:")
        await two_workers_push(args.push_users, 300.0, redis_url)


if __name__ == "__main__":
    asyncio.run(main())
