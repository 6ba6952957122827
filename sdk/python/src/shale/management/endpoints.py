"""endpoints.py — every /v1 call the management client makes, as data.

The client sends requests only through this table, and tests/test_management_unit.py
checks each row against docs/control-plane-openapi.json (path, method, path, query
and header parameters, request body fields), so the client cannot drift from the
contract without a test failing.
"""
from typing import Dict, NamedTuple, Tuple


class Endpoint(NamedTuple):
    method: str
    path: str  # an OpenAPI path template: /v1/databases/{id}
    query: Tuple[str, ...] = ()
    required: Tuple[str, ...] = ()  # request body fields the API requires
    optional: Tuple[str, ...] = ()  # request body fields it also takes
    body: bool = False  # sends a JSON body (POST and PATCH with fields, or {})


def _post(path: str, required: Tuple[str, ...] = (), optional: Tuple[str, ...] = (), body: bool = True) -> Endpoint:
    return Endpoint("POST", path, (), required, optional, body)


DB = "/v1/databases/{id}"
ENDPOINTS: Dict[str, Endpoint] = {
    "list_databases": Endpoint("GET", "/v1/databases", ("include_deleted",)),
    "create_database": _post("/v1/databases", ("name",), ("template", "plan", "worker_groups", "replicas", "settings")),
    "get_database": Endpoint("GET", DB),
    "update_database": Endpoint("PATCH", DB, (), (), ("plan", "settings"), True),
    "delete_database": Endpoint("DELETE", DB),
    "undelete_database": _post(DB + "/undelete", body=False),
    "list_branches": Endpoint("GET", DB + "/branches"),
    "create_branch": _post(DB + "/branches", ("name",), ("data", "ttl_seconds")),
    "get_branch": Endpoint("GET", DB + "/branches/{branch}"),
    "delete_branch": Endpoint("DELETE", DB + "/branches/{branch}"),
    "reset_branch": _post(DB + "/branches/{branch}/reset"),
    "list_deploy_requests": Endpoint("GET", DB + "/deploy-requests"),
    "create_deploy_request": _post(DB + "/deploy-requests", ("branch",), ("auto_apply",)),
    "get_deploy_request": Endpoint("GET", DB + "/deploy-requests/{request}"),
    "deploy": _post(DB + "/deploy-requests/{request}/deploy"),
    "revert": _post(DB + "/deploy-requests/{request}/revert"),
    "close_deploy_request": _post(DB + "/deploy-requests/{request}/close"),
    "list_roles": Endpoint("GET", DB + "/roles"),
    "create_role": _post(DB + "/roles", ("name",)),
    "reset_role_password": _post(DB + "/roles/{name}/reset-password", body=False),
    "delete_role": Endpoint("DELETE", DB + "/roles/{name}"),
    "list_backups": Endpoint("GET", DB + "/backups"),
    "create_backup": _post(DB + "/backups", (), ("kind",)),
    "create_restore_point": _post(DB + "/restore-points", (), ("name",)),
    "restore": _post(DB + "/restore", ("name", "to"), ("replicas",)),
    "list_tables": Endpoint("GET", DB + "/tables"),
    "distribute_table": _post(DB + "/tables/{name}/distribute", ("column",), ("shard_count", "colocate_with")),
    "make_reference_table": _post(DB + "/tables/{name}/make-reference"),
    "list_operations": Endpoint("GET", "/v1/operations", ("limit", "database_id")),
    "get_operation": Endpoint("GET", "/v1/operations/{id}"),
    "get_insights": Endpoint("GET", DB + "/insights", ("window", "limit")),
    "get_ca_certificate": Endpoint("GET", "/v1/ca-certificate"),
}
