"""The headless daemon: supervised loops, lease, commands, systemd notify, HTTP and metrics."""

from xerowatch.daemon.commands_loop import (
    CommandExecutor,
    CommandRow,
    command_loop,
    recover_interrupted_commands,
)
from xerowatch.daemon.lease import DaemonLease, LeaseHeldError, LeaseLostError
from xerowatch.daemon.metrics import CallMetrics, MetricsSource, QuotaView, TenantQuotaView
from xerowatch.daemon.notify import StatusText, SystemdNotifier
from xerowatch.daemon.runner import (
    EXIT_FAILURE,
    EXIT_LEASE_HELD,
    EXIT_OK,
    DaemonContext,
    DaemonRunner,
    LoopsFactory,
)
from xerowatch.daemon.supervisor import LOOP_FAILED, Backoff, LoopHealth, LoopSpec, Supervisor
from xerowatch.store.daemon_lease import LeaseInfo

__all__ = [
    "EXIT_FAILURE",
    "EXIT_LEASE_HELD",
    "EXIT_OK",
    "LOOP_FAILED",
    "Backoff",
    "CallMetrics",
    "CommandExecutor",
    "CommandRow",
    "DaemonContext",
    "DaemonLease",
    "DaemonRunner",
    "LeaseHeldError",
    "LeaseInfo",
    "LeaseLostError",
    "LoopHealth",
    "LoopSpec",
    "LoopsFactory",
    "MetricsSource",
    "QuotaView",
    "StatusText",
    "Supervisor",
    "SystemdNotifier",
    "TenantQuotaView",
    "command_loop",
    "recover_interrupted_commands",
]
