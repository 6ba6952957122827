"""errors.py — what the management client raises.

ApiError: the API answered an error ({code, message, field} and the HTTP status),
or could not be reached (status 0, code "unreachable"). OperationFailedError and
OperationTimeoutError come from Client.wait_operation.
"""
from typing import Any, Dict, Optional


class ApiError(Exception):
    """An error answer of the /v1 API: status (HTTP), code, message, field (the
    request field it names, or None), retry_after (seconds, for 429 and 503)."""

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None,
                 method: str = "", path: str = "", retry_after: Optional[float] = None) -> None:
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{status} {code}: {message}" + (f" (field {field})" if field else ""))
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.method = method
        self.path = path
        self.retry_after = retry_after


class OperationFailedError(Exception):
    """An operation ended in state failed; .operation is its last state."""

    def __init__(self, operation: Dict[str, Any]) -> None:
        super().__init__(f"operation {operation.get('id')} ({operation.get('kind')}) failed: {operation.get('error')}")
        self.operation = operation


class OperationTimeoutError(Exception):
    """An operation did not end within the wait's timeout; .operation is its last state."""

    def __init__(self, operation: Dict[str, Any], timeout: float) -> None:
        super().__init__(f"operation {operation.get('id')} ({operation.get('kind')}) still "
                         f"{operation.get('state')} at {operation.get('progress')} % after {timeout:g} s")
        self.operation = operation
        self.timeout = timeout
