"""Benchmark results as a console report, a README-ready Markdown table and JSON."""

from __future__ import annotations

import dataclasses
import os
import platform
from datetime import UTC, datetime
from typing import Any

from bench.measure import PhaseResult

NO_CHANGE_PHASE = "no-change cycle"
_FIELDS = {f.name for f in dataclasses.fields(PhaseResult)}


def result_to_json(result: PhaseResult) -> dict[str, Any]:
    """A result with its derived figures, ready for json.dumps."""
    data = dataclasses.asdict(result)
    data.update(
        elapsed_s=result.elapsed_s,
        records_per_s=result.records_per_s,
        xero_total=result.xero_total,
        xero_writes=result.xero_writes,
        source_writes=result.source_writes,
    )
    return data


def result_from_json(data: dict[str, Any]) -> PhaseResult:
    """Rebuild a result written by `result_to_json` (derived figures are recomputed)."""
    return PhaseResult(**{key: value for key, value in data.items() if key in _FIELDS})


def environment() -> dict[str, Any]:
    """When and where the benchmark ran."""
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


def problems(results: list[PhaseResult]) -> list[str]:
    """Misbehaviour the numbers reveal: writes on a no-change cycle, 429s, failed write-backs."""
    found: list[str] = []
    for r in results:
        where = f"{r.scenario} / {r.phase}"
        if r.phase.startswith(NO_CHANGE_PHASE) and (r.xero_writes or r.source_writes):
            found.append(
                f"{where}: {r.xero_writes} Xero and {r.source_writes} Wisenet writes (expected 0)"
            )
        if r.xero_429:
            found.append(f"{where}: {r.xero_429} answers of 429 from Xero")
        if r.source_429:
            found.append(f"{where}: {r.source_429} answers of 429 from Wisenet")
        for key in ("writeback_failed", "contacts_rejected"):
            if r.details.get(key):
                found.append(f"{where}: {key} = {r.details[key]}")
        if "errors" in r.details:
            found.append(f"{where}: cycle errors: {r.details['errors']}")
    return found


def _elapsed(r: PhaseResult) -> str:
    if r.virtual_s is None:
        return f"{r.wall_s:.2f} s"
    return f"{r.virtual_s:.0f} s virtual ({r.wall_s:.1f} s real)"


def _rate(r: PhaseResult) -> str:
    rate = r.records_per_s
    if rate is None:
        return "n/a"  # no time passed on the phase's (virtual) clock
    return f"{rate:,.1f}" if rate < 10 else f"{rate:,.0f}"


def _calls(counts: dict[str, int]) -> str:
    return ", ".join(f"{endpoint} {n}" for endpoint, n in counts.items()) or "none"


def console_report(results: list[PhaseResult]) -> str:
    """A plain-text report: one block per phase."""
    lines: list[str] = []
    for r in results:
        lines.append(f"== {r.scenario}: {r.phase}")
        lines.append(
            f"   elapsed {_elapsed(r)}; {r.records:,} {r.records_label}, "
            f"{_rate(r)} per s; peak RSS {r.peak_rss_mb:.0f} MiB (whole process)"
        )
        lines.append(
            f"   Xero: {r.xero_total} calls ({r.xero_writes} writes, {r.xero_429} answered 429): "
            f"{_calls(r.xero_calls)}"
        )
        lines.append(f"   source ({r.source_429} answered 429): {_calls(r.source_requests)}")
        shown = {k: v for k, v in r.details.items() if v not in (0, "")}
        if shown:
            lines.append("   " + ", ".join(f"{k} {v}" for k, v in shown.items()))
        if r.computed:
            computed = ", ".join(f"{k} {v:,.4g}" for k, v in r.computed.items())
            lines.append(f"   computed from call counts (not measured): {computed}")
    return "\n".join(lines)


def markdown_table(results: list[PhaseResult], env: dict[str, Any]) -> str:
    """The README's Performance table."""
    header = (
        f"Measured {env['date']} on {env['cpus']} cores, Python {env['python']} "
        f"({env['platform']}).\n\n"
        "| Scenario | Phase | Elapsed | Records/s | Xero calls (writes, 429s) | "
        "Source requests (writes) | Peak RSS |\n"
        "|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {r.scenario} | {r.phase} | {_elapsed(r)} | {_rate(r)} {r.records_label}"
        f" | {r.xero_total} ({r.xero_writes}, {r.xero_429}) "
        f"| {sum(r.source_requests.values())} ({r.source_writes}) | {r.peak_rss_mb:.0f} MiB |"
        for r in results
    ]
    return "\n".join([header, *rows])
