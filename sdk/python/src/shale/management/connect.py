"""connect.py — a Database from a database name and an API token.

The API shows the superuser's URI without its password, and a role's password
only in the answer that creates or resets it. So connection_uri looks the
database up, then either puts the caller's password into the role's
connection_uri, creates the role, or (reset=True) resets its password, and
connect opens the usual pool on that URI.
"""
import urllib.parse
from typing import Any, NamedTuple, Optional

from ..database import Database, connect as connect_uri
from .client import Client
from .errors import ApiError


class ConnectionInfo(NamedTuple):
    uri: str  # with the password: keep it as secret as the password
    role: str
    password: str
    database: str  # the database's id
    created: bool  # the role was created by this call (False: given password or reset)


def with_password(uri: str, password: str) -> str:
    """The URI with password set for its user (a role's connection_uri has none)."""
    parts = urllib.parse.urlsplit(uri)
    user, _, hosts = parts.netloc.rpartition("@")
    user = user.split(":", 1)[0]
    netloc = f"{user}:{urllib.parse.quote(password, safe='')}@{hosts}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connection_uri(client: Client, database: str, *, role: str = "app", password: Optional[str] = None,
                   reset: bool = False) -> ConnectionInfo:
    """The URI of role on the database named database (or its id).

    password given: the role must exist; its URI with that password. Otherwise a
    missing role is created; an existing one is refused unless reset=True, which
    gives it a new password (connections opened later with the old one fail)."""
    found = client.find_database(database)
    if found["state"] != "ready":
        raise ApiError(409, "not_ready", f"database {found['name']} is {found['state']}, not ready"
                       + (f": {found['error']}" if found.get("error") else ""), None, "GET", "/v1/databases")
    roles = {r["name"]: r for r in client.list_roles(found["id"])}
    if password is not None:
        if role not in roles or not roles[role].get("connection_uri"):
            raise ApiError(404, "not_found", f"database {found['name']} has no role {role!r}", "role",
                           "GET", f"/v1/databases/{found['id']}/roles")
        return ConnectionInfo(with_password(roles[role]["connection_uri"], password), role, password,
                              found["id"], False)
    if role in roles and not reset:
        raise ApiError(409, "role_exists", f"role {role!r} of database {found['name']} exists and its password "
                       "is shown only when it is created or reset: pass password=, or reset=True to give it a new one",
                       "role", "GET", f"/v1/databases/{found['id']}/roles")
    answer = client.reset_role_password(found["id"], role) if role in roles else client.create_role(found["id"], role)
    return ConnectionInfo(answer["connection_uri"], role, answer["password"], found["id"], role not in roles)


def connect(database: str, *, api_url: Optional[str] = None, token: Optional[str] = None,
            role: str = "app", password: Optional[str] = None, reset: bool = False,
            client: Optional[Client] = None, **options: Any) -> Database:
    """Opens a Database (shale.connect's pool, retries and tenant handles) on the
    database named database, through role (see connection_uri). api_url and
    token default to SHALE_API_URL and SHALE_TOKEN; options go to shale.connect."""
    api = client or Client(api_url, token)
    info = connection_uri(api, database, role=role, password=password, reset=reset)
    return connect_uri(info.uri, **options)
