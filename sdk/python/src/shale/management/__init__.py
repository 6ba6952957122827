"""shale.management — the client for the control plane's /v1 API (shale serve).

    from shale import management
    api = management.Client()              # SHALE_API_URL and SHALE_TOKEN
    answer = api.create_database("shop", worker_groups=1, replicas=0)
    api.wait_operation(answer)             # polls the operation until it ends
    db = management.connect("shop")        # creates role "app" and opens a pool
"""
from .client import Client
from .connect import ConnectionInfo, connect, connection_uri, with_password
from .endpoints import ENDPOINTS, Endpoint
from .errors import ApiError, OperationFailedError, OperationTimeoutError

__all__ = [
    "Client",
    "connect",
    "connection_uri",
    "with_password",
    "ConnectionInfo",
    "ENDPOINTS",
    "Endpoint",
    "ApiError",
    "OperationFailedError",
    "OperationTimeoutError",
]
