"""`python -m bench [--scenario NAME]... [--json PATH] [--markdown]`: run and report benchmarks.

Each scenario runs in a fresh child process, so its peak RSS is its own and not the high-water
mark of the scenarios before it. Exits 1 when the numbers reveal misbehaviour (writes on a
no-change cycle, 429s, failed write-backs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.measure import PhaseResult
from bench.report import (
    console_report,
    environment,
    markdown_table,
    problems,
    result_from_json,
    result_to_json,
)
from bench.scenarios import SCENARIOS

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT_S = 1800.0
"""A scenario that has not finished in 30 minutes is stuck (the longest, `limit`, takes ~5)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    listing = "; ".join(
        f"{s.name}{'' if s.default else ' (opt-in)'}: {s.summary}" for s in SCENARIOS.values()
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        metavar="NAME",
        # argparse formats help with %: a summary's "10%" must reach it as "10%%"
        help=f"run only this scenario (repeatable). Scenarios: {listing}".replace("%", "%%"),
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--markdown", action="store_true", help="also print the README Performance table"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the scenarios in this process (peak RSS then accumulates across scenarios)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser


async def _run_in_process(names: list[str]) -> list[PhaseResult]:
    results: list[PhaseResult] = []
    for name in names:
        results.extend(await SCENARIOS[name].run())
    return results


def _run_in_child(name: str) -> list[PhaseResult]:
    with tempfile.TemporaryDirectory(prefix="xerowatch-bench-") as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, "-m", "bench", "--child", "--scenario", name]
        subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            [*command, "--json", str(out)], cwd=REPO_ROOT, check=True, timeout=CHILD_TIMEOUT_S
        )
        data = json.loads(out.read_text("utf-8"))
    return [result_from_json(item) for item in data["results"]]


def _write_json(path: Path, env: dict[str, Any], results: list[PhaseResult]) -> None:
    payload = {"environment": env, "results": [result_to_json(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen (or default) scenarios, print the report, return the exit status."""
    args = _parser().parse_args(argv)
    names = args.scenario or [s.name for s in SCENARIOS.values() if s.default]
    if args.in_process or args.child:
        results = asyncio.run(_run_in_process(names))
    else:
        results = []
        for name in names:
            print(f"running {name}: {SCENARIOS[name].summary}", file=sys.stderr, flush=True)
            try:
                results.extend(_run_in_child(name))
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                print(f"scenario {name} failed: {exc}", file=sys.stderr)
                return 1
    env = environment()
    if args.json is not None:
        _write_json(args.json, env, results)
    if args.child:
        return 0  # a child reports through its JSON file; the parent prints and judges
    print(console_report(results))
    if args.markdown:
        print()
        print(markdown_table(results, env))
    found = problems(results)
    for problem in found:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
