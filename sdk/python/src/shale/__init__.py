"""Shale SDK for Python, on psycopg 3.

connect() opens a Database from the URI that `shale up` prints. The Database
adds transactions that survive failover (transaction), tenant-scoped handles
(tenant), the shale.* table helpers and typed errors. The management client for
the control plane's /v1 API comes next (shale.management; see its README.md).
"""
from ._version import VERSION
from .database import Database, connect
from .errors import (
    CommitUnknownError,
    RetriesExhaustedError,
    ShaleError,
    TenantScopeError,
    kind_for_sqlstate,
    kind_of,
    to_shale_error,
)
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy
from .tenant import Tenant, TenantQueries
from .transaction import Transaction, TransactionReport

__version__ = VERSION
__all__ = [
    "VERSION",
    "Database",
    "connect",
    "ShaleError",
    "TenantScopeError",
    "CommitUnknownError",
    "RetriesExhaustedError",
    "kind_of",
    "kind_for_sqlstate",
    "to_shale_error",
    "RetryPolicy",
    "DEFAULT_RETRY_POLICY",
    "Tenant",
    "TenantQueries",
    "Transaction",
    "TransactionReport",
]
