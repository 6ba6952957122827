"""The management client against a real `shale serve`: SHALE_TEST_API_URL and
SHALE_TEST_TOKEN (test/e2e/sdk_management.sh starts one and sets them);
without them these tests are skipped. One database is made for the module,
then branched, deployed to, backed up and deleted through the client."""
import os
import uuid

import pytest

import shale
from shale import management
from shale.management import ApiError, Client, OperationFailedError, OperationTimeoutError


@pytest.fixture(scope="module")
def api() -> Client:
    url, token = os.environ.get("SHALE_TEST_API_URL"), os.environ.get("SHALE_TEST_TOKEN")
    if not url or not token:
        pytest.skip("SHALE_TEST_API_URL / SHALE_TEST_TOKEN are not set")
    return Client(url, token)


@pytest.fixture(scope="module")
def database(api):
    name = "py-" + uuid.uuid4().hex[:8]
    answer = api.create_database(name, plan="growth", worker_groups=1, replicas=0,
                                 settings={"description": "python sdk test"})
    assert answer["database"]["state"] == "creating"
    operation = api.wait_operation(answer, timeout=180)
    assert operation["kind"] == "create" and operation["progress"] == 100
    yield api.get_database(answer["database"]["id"])
    ended = api.wait_operation(api.delete_database(answer["database"]["id"]), timeout=120)
    assert ended["kind"] == "delete"
    assert api.get_database(answer["database"]["id"])["state"] == "deleted"


def test_database_get_list_update(api, database):
    assert database["state"] == "ready" and database["worker_groups"] == 1
    assert database["id"] in [d["id"] for d in api.list_databases()]
    changed = api.update_database(database["id"], settings={"description": "changed"})
    assert changed["settings"]["description"] == "changed"
    assert api.get_database(database["id"])["settings"]["description"] == "changed"


def test_connect_by_name_creates_the_role_then_needs_its_password(api, database):
    with management.connect(database["name"], api_url=api.api_url, token=api.token, role="py_app") as db:
        assert db.query("SELECT current_user AS u, 1 + 1 AS two")[0] == {"u": "py_app", "two": 2}
    with pytest.raises(ApiError) as caught:
        management.connect(database["name"], client=api, role="py_app")
    assert caught.value.status == 409 and caught.value.code == "role_exists" and caught.value.field == "role"
    info = management.connection_uri(api, database["name"], role="py_app", reset=True)
    assert not info.created and info.password in info.uri
    with management.connect(database["id"], client=api, role="py_app", password=info.password) as db:
        assert db.query("SELECT current_user AS u")[0] == {"u": "py_app"}


def test_roles_create_reset_delete(api, database):
    created = api.create_role(database["id"], "py_role")
    assert created["role"]["name"] == "py_role" and created["password"] in created["connection_uri"]
    assert "py_role" in [r["name"] for r in api.list_roles(database["id"])]
    reset = api.reset_role_password(database["id"], "py_role")
    assert reset["password"] != created["password"]
    with pytest.raises(shale.ShaleError):  # the old password stopped working
        shale.connect(created["connection_uri"]).close()
    shale.connect(reset["connection_uri"]).close()
    api.delete_role(database["id"], "py_role")
    assert "py_role" not in [r["name"] for r in api.list_roles(database["id"])]
    with pytest.raises(ApiError) as caught:
        api.delete_role(database["id"], "py_role")
    assert caught.value.status == 404


def test_branch_and_deploy_request(api, database):
    owner = management.connection_uri(api, database["id"], role="py_owner")
    with shale.connect(owner.uri) as db:
        db.execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text)")
        db.execute("CREATE TABLE kinds (id int PRIMARY KEY)")
    distributed = api.distribute_table(database["id"], "notes", "id", shard_count=4)
    assert (distributed["kind"], distributed["distribution_column"], distributed["shard_count"]) == ("distributed", "id", 4)
    assert api.make_reference_table(database["id"], "kinds")["kind"] == "reference"
    tables = {t["table_name"]: t["kind"] for t in api.list_tables(database["id"])}
    assert tables["notes"] == "distributed" and tables["kinds"] == "reference"
    dev = database["name"] + "-dev"  # names are unique among an organization's databases and branches
    answer = api.create_branch(database["id"], dev)
    branch = answer["database"]
    assert branch["parent_id"] == database["id"]
    api.wait_operation(answer, timeout=180)
    assert api.get_branch(database["id"], dev)["state"] == "ready"
    assert [b["name"] for b in api.list_branches(database["id"])] == [dev]
    with management.connect(branch["id"], client=api, role="py_dev") as db:
        db.execute("CREATE TABLE tags (id bigint PRIMARY KEY, name text)")  # the branch's tables are the superuser's
    created = api.create_deploy_request(database["id"], dev)
    request = created["deploy_request"]
    assert created["operation"] is None and request["state"] == "open"
    assert "tags" in (request["ddl"] or "")
    assert api.get_deploy_request(database["id"], str(request["number"]))["id"] == request["id"]
    assert [r["id"] for r in api.list_deploy_requests(database["id"])] == [request["id"]]
    deployed = api.deploy(database["id"], request["id"])
    api.wait_operation(deployed["operation"], timeout=120)
    assert api.get_deploy_request(database["id"], request["id"])["state"] == "deployed"
    with shale.connect(owner.uri) as db:
        assert db.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'tags'")[0] == {"n": 1}
    api.wait_operation(api.delete_branch(database["id"], dev), timeout=120)
    assert api.list_branches(database["id"]) == []


def test_restore_point_backups_operations(api, database):
    operation = api.create_restore_point(database["id"], "py-point")
    ended = api.wait_operation(operation["id"], timeout=120)
    assert ended["kind"] == "restore_point"
    backups = api.list_backups(database["id"])
    assert "backups" in backups and "restore_points" in backups
    kinds = [o["kind"] for o in api.list_operations(database_id=database["id"], limit=50)]
    assert "create" in kinds and "restore_point" in kinds


def test_a_failed_operation_and_a_timeout(api, database):
    # no backup exists (the test's shale serve runs with SHALE_BACKUPS=off): the restore fails
    answer = api.restore(database["id"], database["name"] + "-restored", "py-no-such-point", replicas=0)
    with pytest.raises(OperationTimeoutError) as timed_out:
        api.wait_operation(answer, timeout=0)
    assert timed_out.value.operation["state"] in ("pending", "running")
    with pytest.raises(OperationFailedError) as failed:
        api.wait_operation(answer, timeout=120)
    assert failed.value.operation["kind"] == "restore" and failed.value.operation["error"]


def test_insights_and_ca_certificate(api, database):
    insights = api.get_insights(database["id"], window="15m", limit=5)
    assert isinstance(insights, dict)
    ca = api.get_ca_certificate()
    assert ca["ca_certificate"].startswith("-----BEGIN CERTIFICATE-----") and ca["sslmode"]


def test_errors_are_typed(api, database):
    with pytest.raises(ApiError) as caught:
        api.get_database("db_0000000000000000")
    assert caught.value.status == 404 and caught.value.code == "not_found"
    with pytest.raises(ApiError) as caught:
        api.create_database("Bad Name!")
    assert caught.value.status == 422 and caught.value.field == "name"
    with pytest.raises(ApiError) as caught:
        api.get_insights(database["id"], window="99y")
    assert caught.value.status in (400, 422) and caught.value.message
    with pytest.raises(ApiError) as caught:
        Client(api.api_url, "shl_" + "0" * 64).list_databases()
    assert caught.value.status == 401 and caught.value.code == "unauthorized"
    with pytest.raises(ApiError) as caught:
        management.connect("no-such-database", client=api)
    assert caught.value.status == 404 and "no-such-database" in caught.value.message
