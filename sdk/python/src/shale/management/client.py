"""client.py — Client, the management client for the control plane's /v1 API.

Each method is one row of endpoints.ENDPOINTS; answers are the API's JSON
objects (dicts, as docs/control-plane-openapi.json describes them). Long work
(creating a database, a branch, a backup, a deploy) answers with an operation:
wait_operation polls it until it succeeded or failed.
"""
import os
import time
import urllib.parse
import uuid
from typing import Any, Dict, List, Optional

from .endpoints import ENDPOINTS
from .errors import ApiError, OperationFailedError, OperationTimeoutError
from .transport import exchange

Json = Dict[str, Any]


def _drop_none(values: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class Client:
    """A client for one API address and token: arguments, else SHALE_API_URL
    and SHALE_TOKEN. The address may end in /v1 or not."""

    def __init__(self, api_url: Optional[str] = None, token: Optional[str] = None, *,
                 timeout: float = 60.0, attempts: int = 4) -> None:
        url = api_url or os.environ.get("SHALE_API_URL")
        secret = token or os.environ.get("SHALE_TOKEN")
        if not url:
            raise ValueError("no API address: pass api_url or set SHALE_API_URL (shale serve prints it)")
        if not secret:
            raise ValueError("no API token: pass token or set SHALE_TOKEN")
        url = url.rstrip("/")
        self.api_url = url[:-3] if url.endswith("/v1") else url
        self.token = secret
        self.timeout = timeout
        self.attempts = attempts

    def call(self, endpoint: str, path: Optional[Dict[str, str]] = None, query: Optional[Dict[str, Any]] = None,
             body: Optional[Dict[str, Any]] = None) -> Any:
        """Sends the request of one ENDPOINTS row; refuses, before sending,
        query parameters or body fields the row does not list."""
        row = ENDPOINTS[endpoint]
        target = row.path
        for name, value in (path or {}).items():
            target = target.replace("{" + name + "}", urllib.parse.quote(str(value), safe=""))
        if "{" in target:
            raise ValueError(f"{endpoint}: missing path parameter in {target}")
        given = _drop_none(query or {})
        unknown = set(given) - set(row.query)
        if unknown:
            raise ValueError(f"{endpoint}: unknown query parameter(s) {sorted(unknown)}")
        if given:
            target += "?" + urllib.parse.urlencode(
                {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in given.items()})
        payload: Optional[Json] = None
        if row.body:
            payload = _drop_none(body or {})
            unknown = set(payload) - set(row.required) - set(row.optional)
            if unknown:
                raise ValueError(f"{endpoint}: unknown field(s) {sorted(unknown)}")
        headers = {"Idempotency-Key": str(uuid.uuid4())} if row.method == "POST" else {}
        return exchange(self.api_url, self.token, row.method, target, payload, headers, self.timeout,
                        self.attempts)

    # databases
    def list_databases(self, include_deleted: bool = False) -> List[Json]:
        return list(self.call("list_databases", query={"include_deleted": include_deleted or None})["databases"])

    def create_database(self, name: str, *, template: Optional[str] = None, plan: Optional[str] = None,
                        worker_groups: Optional[int] = None, replicas: Optional[int] = None,
                        settings: Optional[Json] = None) -> Json:
        """Answers {database, operation}; the database is ready when the operation succeeded."""
        return dict(self.call("create_database", body={"name": name, "template": template, "plan": plan,
                                                       "worker_groups": worker_groups, "replicas": replicas,
                                                       "settings": settings}))

    def get_database(self, database_id: str) -> Json:
        return dict(self.call("get_database", {"id": database_id})["database"])

    def find_database(self, name: str) -> Json:
        """The database with this name (or id): one GET of the list."""
        for database in self.list_databases():
            if database["name"] == name or database["id"] == name:
                return database
        raise ApiError(404, "not_found", f"no database named {name!r} in this organization", "name",
                       "GET", "/v1/databases")

    def update_database(self, database_id: str, *, plan: Optional[str] = None,
                        settings: Optional[Json] = None) -> Json:
        return dict(self.call("update_database", {"id": database_id},
                              body={"plan": plan, "settings": settings})["database"])

    def delete_database(self, database_id: str) -> Json:
        return dict(self.call("delete_database", {"id": database_id}))

    def undelete_database(self, database_id: str) -> Json:
        return dict(self.call("undelete_database", {"id": database_id}))

    # branches (a branch is a database whose parent_id is the database)
    def list_branches(self, database_id: str) -> List[Json]:
        return list(self.call("list_branches", {"id": database_id})["branches"])

    def create_branch(self, database_id: str, name: str, *, data: Optional[str] = None,
                      ttl_seconds: Optional[int] = None) -> Json:
        return dict(self.call("create_branch", {"id": database_id},
                              body={"name": name, "data": data, "ttl_seconds": ttl_seconds}))

    def get_branch(self, database_id: str, branch: str) -> Json:
        return dict(self.call("get_branch", {"id": database_id, "branch": branch})["database"])

    def delete_branch(self, database_id: str, branch: str) -> Json:
        return dict(self.call("delete_branch", {"id": database_id, "branch": branch}))

    def reset_branch(self, database_id: str, branch: str) -> Json:
        return dict(self.call("reset_branch", {"id": database_id, "branch": branch}))

    # deploy requests
    def list_deploy_requests(self, database_id: str) -> List[Json]:
        return list(self.call("list_deploy_requests", {"id": database_id})["deploy_requests"])

    def create_deploy_request(self, database_id: str, branch: str, *, auto_apply: Optional[bool] = None) -> Json:
        """Answers {deploy_request, operation} (operation None unless auto_apply started a deploy)."""
        return dict(self.call("create_deploy_request", {"id": database_id},
                              body={"branch": branch, "auto_apply": auto_apply}))

    def get_deploy_request(self, database_id: str, request: str) -> Json:
        return dict(self.call("get_deploy_request", {"id": database_id, "request": str(request)})["deploy_request"])

    def deploy(self, database_id: str, request: str) -> Json:
        return dict(self.call("deploy", {"id": database_id, "request": str(request)}))

    def revert(self, database_id: str, request: str) -> Json:
        return dict(self.call("revert", {"id": database_id, "request": str(request)}))

    def close_deploy_request(self, database_id: str, request: str) -> Json:
        return dict(self.call("close_deploy_request", {"id": database_id, "request": str(request)})["deploy_request"])

    # roles
    def list_roles(self, database_id: str) -> List[Json]:
        return list(self.call("list_roles", {"id": database_id})["roles"])

    def create_role(self, database_id: str, name: str) -> Json:
        """Answers {role, password, connection_uri}: the only time the password is shown."""
        return dict(self.call("create_role", {"id": database_id}, body={"name": name}))

    def reset_role_password(self, database_id: str, name: str) -> Json:
        """A new password ({role, password, connection_uri}); the old one stops working."""
        return dict(self.call("reset_role_password", {"id": database_id, "name": name}))

    def delete_role(self, database_id: str, name: str) -> None:
        self.call("delete_role", {"id": database_id, "name": name})

    # backups and restore points
    def list_backups(self, database_id: str) -> Json:
        """{backups, restore_points}, from the database's shaled."""
        return dict(self.call("list_backups", {"id": database_id}))

    def create_backup(self, database_id: str, kind: Optional[str] = None) -> Json:
        return dict(self.call("create_backup", {"id": database_id}, body={"kind": kind})["operation"])

    def create_restore_point(self, database_id: str, name: Optional[str] = None) -> Json:
        return dict(self.call("create_restore_point", {"id": database_id}, body={"name": name})["operation"])

    def restore(self, database_id: str, name: str, to: str, *, replicas: Optional[int] = None) -> Json:
        """A new database named name from this one's backups at to (a restore point or UTC time)."""
        return dict(self.call("restore", {"id": database_id}, body={"name": name, "to": to, "replicas": replicas}))

    # tables (as the database's superuser, which application roles are not)
    def list_tables(self, database_id: str) -> List[Json]:
        return list(self.call("list_tables", {"id": database_id})["tables"])

    def distribute_table(self, database_id: str, table: str, column: str, *, shard_count: Optional[int] = None,
                         colocate_with: Optional[str] = None) -> Json:
        """shale.distribute_table on the router, done when it answers."""
        return dict(self.call("distribute_table", {"id": database_id, "name": table},
                              body={"column": column, "shard_count": shard_count,
                                    "colocate_with": colocate_with})["table"])

    def make_reference_table(self, database_id: str, table: str) -> Json:
        return dict(self.call("make_reference_table", {"id": database_id, "name": table})["table"])

    # operations
    def list_operations(self, database_id: Optional[str] = None, limit: Optional[int] = None) -> List[Json]:
        return list(self.call("list_operations", query={"database_id": database_id, "limit": limit})["operations"])

    def get_operation(self, operation_id: str) -> Json:
        return dict(self.call("get_operation", {"id": operation_id})["operation"])

    def wait_operation(self, operation: Any, *, timeout: float = 300.0, interval: float = 0.5) -> Json:
        """Polls GET /v1/operations/{id} until the operation succeeded (returns it),
        failed (OperationFailedError) or timeout seconds passed (OperationTimeoutError).
        operation: an id, an operation, or an answer that holds one."""
        if isinstance(operation, dict):
            operation = operation.get("operation", operation)
            operation_id = str(operation["id"])
        else:
            operation_id = str(operation)
        deadline = time.monotonic() + timeout
        while True:
            current = self.get_operation(operation_id)
            if current["state"] == "succeeded":
                return current
            if current["state"] == "failed":
                raise OperationFailedError(current)
            if time.monotonic() >= deadline:
                raise OperationTimeoutError(current, timeout)
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    # insights and TLS
    def get_insights(self, database_id: str, window: Optional[str] = None, limit: Optional[int] = None) -> Json:
        return dict(self.call("get_insights", {"id": database_id}, query={"window": window, "limit": limit})["insights"])

    def get_ca_certificate(self) -> Json:
        """{ca_certificate (PEM), sslmode, hint}."""
        return dict(self.call("get_ca_certificate"))
