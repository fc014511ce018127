"""Run the real `xerowatch` entry point in a child process, as systemd or a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def xerowatch(
    *args: str, config: Path | None = None, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m xerowatch [--config CONFIG] ARGS…`, output captured as text."""
    argv = [sys.executable, "-m", "xerowatch"]
    if config is not None:
        argv += ["--config", str(config)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("XEROWATCH_")}
    full_env.update(env or {})
    return subprocess.run(
        [*argv, *args], capture_output=True, text=True, check=False, timeout=timeout, env=full_env
    )
