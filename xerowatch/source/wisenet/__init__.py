"""The Wisenet LRM API v1 source: client, auth, budget, learner mapping and invoice write-back."""

from xerowatch.source.wisenet.auth import ApiKeyAuth, WisenetAuth
from xerowatch.source.wisenet.budget import RequestBudget
from xerowatch.source.wisenet.client import WisenetClient, WisenetHTTPError
from xerowatch.source.wisenet.combos import ComboCache, Combos
from xerowatch.source.wisenet.factory import build_wisenet_source
from xerowatch.source.wisenet.oauth import OAuthAuth
from xerowatch.source.wisenet.source import WisenetSource
from xerowatch.source.wisenet.writeback import WriteBackError, to_wisenet_invoice

__all__ = [
    "ApiKeyAuth",
    "ComboCache",
    "Combos",
    "OAuthAuth",
    "RequestBudget",
    "WisenetAuth",
    "WisenetClient",
    "WisenetHTTPError",
    "WisenetSource",
    "WriteBackError",
    "build_wisenet_source",
    "to_wisenet_invoice",
]
