"""``make bench``: page benchmarks at several data sizes on SQLite and PostgreSQL.

Each (database, size) runs in its own process (settings are per process): a fresh database, the demo
company with N deals, then the pages measured through Django's test client (server time, no network).
Results are printed and written to bench/results/latest.md.

    python -m bench [--sizes 10000,100000] [--databases sqlite,postgresql] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def run_one(database: str, size: int, repeat: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    data_dir = tempfile.mkdtemp(prefix="voronka-bench-")
    env["VORONKA_DATA_DIR"] = data_dir
    if database == "postgresql":
        env["DATABASE_URL"] = _pg_database(f"voronka_bench_{size}")
    cmd = [sys.executable, "-m", "bench.pages", "--size", str(size), "--repeat", str(repeat)]
    started = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT.parent)
    if out.returncode != 0:
        raise SystemExit(f"benchmark failed ({database}, {size}):\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["database"] = database
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def render(results: list[dict]) -> str:
    lines = ["| database | deals | page | median ms | p95 ms | queries |", "|---|---:|---|---:|---:|---:|"]
    for r in results:
        for page in r["pages"]:
            lines.append(f"| {r['database']} | {r['deals']:,} | {page['name']} | {page['median_ms']:.1f} | "
                         f"{page['p95_ms']:.1f} | {page['queries']} |")
    lines.append("")
    lines.append("| database | deals | measurement | ours ms | hand SQL ms | ratio |")
    lines.append("|---|---:|---|---:|---:|---:|")
    for r in results:
        for ratio in r.get("ratios", []):
            lines.append(f"| {r['database']} | {r['deals']:,} | {ratio['name']} | {ratio['ours_ms']:.2f} | "
                         f"{ratio['sql_ms']:.2f} | {ratio['ratio']:.2f}× |")
    lines.append("")
    lines.append("| database | deals | demo generation s |")
    lines.append("|---|---:|---:|")
    for r in results:
        lines.append(f"| {r['database']} | {r['deals']:,} | {r['generate_seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    ns = parser.parse_args()
    results = []
    for database in ns.databases.split(","):
        for size in (int(s) for s in ns.sizes.split(",")):
            print(f"… {database} with {size:,} deals", file=sys.stderr, flush=True)
            results.append(run_one(database, size, ns.repeat))
    table = render(results)
    print(table)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    (ROOT / "results" / "latest.md").write_text(
        f"# Benchmark results ({stamp})\n\n`python -m bench --sizes {ns.sizes} --databases {ns.databases} "
        f"--repeat {ns.repeat}`\n\n{table}\n", encoding="utf-8")
    (ROOT / "results" / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
