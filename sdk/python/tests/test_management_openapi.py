"""The management client against docs/control-plane-openapi.json, no server:
every row of shale.management.ENDPOINTS (the only requests the client sends)
must be an operation of the file with the same path, query and header
parameters and the same request body fields, so client and contract cannot drift."""
import json
import os
import re

import pytest

from shale import management
from shale.management import ENDPOINTS, ApiError, Client

OPENAPI_PATH = os.environ.get("SHALE_OPENAPI") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "docs", "control-plane-openapi.json")


@pytest.fixture(scope="module")
def openapi():
    with open(OPENAPI_PATH) as file:
        return json.load(file)


def parameters(openapi, path, method):
    item = openapi["paths"][path]
    found = {}
    for parameter in item.get("parameters", []) + item[method].get("parameters", []):
        if "$ref" in parameter:
            parameter = openapi["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        found.setdefault(parameter["in"], set()).add(parameter["name"])
    return found


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_endpoint_is_in_the_openapi_file(openapi, name):
    row = ENDPOINTS[name]
    assert row.path in openapi["paths"], f"{name}: {row.path} is not a path of the OpenAPI file"
    method = row.method.lower()
    assert method in openapi["paths"][row.path], f"{name}: {row.method} {row.path} is not in the OpenAPI file"
    found = parameters(openapi, row.path, method)
    assert set(re.findall(r"\{([^}]+)\}", row.path)) == found.get("path", set()), name
    assert set(row.query) == found.get("query", set()), f"{name}: query parameters differ"
    assert ({"Idempotency-Key"} if row.method == "POST" else set()) == found.get("header", set()), name
    request = openapi["paths"][row.path][method].get("requestBody")
    if request is None:
        assert not row.body and not row.required and not row.optional, f"{name}: the file has no request body"
        return
    schema = request["content"]["application/json"]["schema"]
    assert row.body or not request.get("required", False), f"{name}: the file requires a body"
    assert set(row.required) | set(row.optional) == set(schema.get("properties", {})), f"{name}: body fields differ"
    assert set(row.required) == set(schema.get("required", [])), f"{name}: required body fields differ"


def test_every_client_method_goes_through_a_row():
    # each public method of Client is one row (the helpers below are not requests)
    helpers = {"call", "wait_operation", "find_database"}
    methods = {m for m in dir(Client) if not m.startswith("_") and callable(getattr(Client, m))} - helpers
    assert methods == set(ENDPOINTS)


def test_address_and_token_come_from_arguments_or_environment(monkeypatch):
    monkeypatch.delenv("SHALE_API_URL", raising=False)
    monkeypatch.delenv("SHALE_TOKEN", raising=False)
    with pytest.raises(ValueError, match="SHALE_API_URL"):
        Client()
    with pytest.raises(ValueError, match="SHALE_TOKEN"):
        Client("http://127.0.0.1:1")
    monkeypatch.setenv("SHALE_API_URL", "http://127.0.0.1:1/v1/")
    monkeypatch.setenv("SHALE_TOKEN", "shl_x")
    assert Client().api_url == "http://127.0.0.1:1"


def test_unknown_fields_are_refused_before_sending():
    client = Client("http://127.0.0.1:1", "shl_x")
    with pytest.raises(ValueError, match="unknown field"):
        client.call("create_role", {"id": "db_1"}, body={"name": "a", "superuser": True})


def test_an_unreachable_api_is_an_api_error():
    with pytest.raises(ApiError) as caught:
        Client("http://127.0.0.1:1", "shl_x", attempts=1).list_databases()
    assert caught.value.status == 0 and caught.value.code == "unreachable"


def test_with_password_fills_the_user_of_a_multi_host_uri():
    uri = "postgres://app@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write"
    assert management.with_password(uri, "p/w") == \
        "postgres://app:p%2Fw@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write"
