"""`python -m bench.sim_process LEARNERS`: both simulators in a process of their own.

Prints one JSON line with their URLs once they serve, then serves until stdin closes and prints
a second line with what they saw (requests, 429s). Memory scenarios use it so that the peak RSS
they report is xerowatch's alone, not the simulators' data as well.
"""

from __future__ import annotations

import json
import sys

from bench.rig import RigOptions, make_sims
from xerowatch.sim.server import serve_in_thread

LEARNER_SEED = 7


def main(argv: list[str]) -> int:
    """Seed `argv[0]` learners, serve both simulators (raised limits) until stdin closes."""
    learners = int(argv[0])
    xero, wisenet, _ = make_sims(RigOptions())
    wisenet.seed_learners(learners, seed=LEARNER_SEED)
    with serve_in_thread(xero.app) as xero_server, serve_in_thread(wisenet.app) as wisenet_server:
        print(json.dumps({"xero": xero_server.url, "wisenet": wisenet_server.url}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin
        with xero.lock:
            xero_429 = sum(1 for entry in xero.requests if entry.status == 429)
        stats = {
            "xero_429": xero_429,
            "wisenet_requests": len(wisenet.requests),
            "wisenet_429": sum(1 for r in wisenet.requests if r.status == 429),
            "contacts_in_xero": sum(len(xero.contacts(t)) for t in xero.tenant_ids()),
        }
        print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
