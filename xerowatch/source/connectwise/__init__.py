"""ConnectWise Manage (PSA) REST API 3.0: the client and its accounting interface."""

from xerowatch.source.connectwise.accounting import ConnectWiseAccounting, batch_identifier
from xerowatch.source.connectwise.client import ConnectWiseClient
from xerowatch.source.connectwise.errors import ConnectWiseAuthError, ConnectWiseError

__all__ = [
    "ConnectWiseAccounting",
    "ConnectWiseAuthError",
    "ConnectWiseClient",
    "ConnectWiseError",
    "batch_identifier",
]
