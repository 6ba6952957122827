"""control_plane_client.py — helpers for the control plane's end-to-end tests:
start, kill and restart `shale serve`, call its /v1 API, and check every answer
against docs/control-plane-openapi.json (status documented, body matching the
schema), so the tests and the contract cannot drift apart."""
import http.client
import json
import os
import re
import signal
import subprocess
import time

import jsonschema

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPENAPI = json.load(open(os.path.join(REPO, "docs", "control-plane-openapi.json")))


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.text = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"Answer({self.status}, {self.text[:300]!r})"


def _path_template(method, path):
    """The OpenAPI path whose template matches path, with its operation."""
    for template, item in OPENAPI["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            if method.lower() in item:
                return template, item[method.lower()]
            return template, None
    return None, None


def check_against_openapi(method, target, answer):
    """Raises AssertionError when the answer is not what the OpenAPI file allows."""
    path = target.split("?")[0]
    template, operation = _path_template(method, path)
    if template is None:
        assert answer.status == 404, f"{method} {path}: undocumented path answered {answer.status}"
        schema = OPENAPI["components"]["schemas"]["Error"]
    elif operation is None:
        assert answer.status == 405, f"{method} {path}: undocumented method answered {answer.status}"
        schema = OPENAPI["components"]["schemas"]["Error"]
    else:
        responses = operation["responses"]
        assert str(answer.status) in responses, \
            f"{method} {template}: status {answer.status} is not documented ({sorted(responses)}): {answer.text[:300]}"
        content = responses[str(answer.status)].get("content")
        if content is None:
            assert not answer.text.strip(), f"{method} {template}: {answer.status} must have no body"
            return
        schema = content["application/json"]["schema"]
    assert answer.json is not None, f"{method} {path}: body is not JSON: {answer.text[:200]}"
    resolver_schema = dict(schema)
    resolver_schema["components"] = OPENAPI["components"]
    try:
        jsonschema.validate(answer.json, resolver_schema, cls=jsonschema.Draft202012Validator)
    except jsonschema.ValidationError as error:
        raise AssertionError(f"{method} {path} {answer.status}: body does not match the OpenAPI schema: "
                             f"{error.message} at {list(error.absolute_path)}")


class Api:
    """A client for one base URL and token; every call is checked against OpenAPI."""

    def __init__(self, port, token=None):
        self.port = port
        self.token = token
        self.calls = 0

    def call(self, method, target, body=None, token="default", headers=None, raw=None, check=True):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = dict(headers or {})
        use = self.token if token == "default" else token
        if use is not None:
            sent["Authorization"] = f"Bearer {use}"
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if payload is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, target, body=payload, headers=sent)
        response = connection.getresponse()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                        response.read().decode("utf-8", "replace"))
        connection.close()
        self.calls += 1
        assert answer.status < 500 or answer.status == 503, f"{method} {target} answered {answer}"
        if check:
            check_against_openapi(method, target, answer)
        return answer

    def get(self, target, **kw):
        return self.call("GET", target, **kw)

    def post(self, target, body=None, **kw):
        return self.call("POST", target, body if body is not None else {}, **kw)

    def wait_operation(self, operation_id, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            operation = self.get(f"/v1/operations/{operation_id}").json["operation"]
            if operation["state"] in ("succeeded", "failed"):
                return operation
            time.sleep(0.3)
        raise AssertionError(f"operation {operation_id} did not end in {timeout} s")


class Serve:
    """One `shale serve` process on a directory and port."""

    def __init__(self, shale_bin, directory, port, extra=()):
        self.shale_bin = shale_bin
        self.directory = directory
        self.port = port
        self.extra = list(extra)
        self.process = None

    def password_file(self, database):
        """The libpq password file this serve keeps for a database's superuser."""
        return os.path.join(self.directory, "databases", database["id"], "pgpass")

    def connect(self, database, autocommit=False):
        """Connects to a database as its superuser (every node asks for its SCRAM password)."""
        import psycopg2  # only the tests that connect need it
        connection = psycopg2.connect(database["uri"], passfile=self.password_file(database))
        connection.autocommit = autocommit
        return connection

    def start(self):
        env = dict(os.environ, SHALE_BACKUPS="off")
        log = open(os.path.join(os.path.dirname(self.directory), "serve.out"), "ab")
        self.process = subprocess.Popen(
            [self.shale_bin, "serve", "--dir", self.directory, "--port", str(self.port),
             "--token-file", os.path.join(os.path.dirname(self.directory), "first-token"),
             "--log-file", os.path.join(os.path.dirname(self.directory), "serve.log")] + self.extra,
            stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"shale serve exited with {self.process.returncode}")
            try:
                Api(self.port).get("/v1/openapi.json", token=None)
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("shale serve did not answer in 60 s")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
