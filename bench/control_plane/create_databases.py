"""create_databases.py — the control plane's creation targets (issue 13):
POST /v1/databases to ready for router + 2 worker groups with 1 replica each,
N creations one after the other (p50 and max), then P creations in parallel
with `shale serve` killed with -9 in the middle and restarted: each must end
ready or failed, with the servers of failed ones gone. Run by run.sh."""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "test", "lib"))
from control_plane_client import Api, Serve  # noqa: E402

SHALE = os.environ["SHALE_BIN"]
WORK = os.environ["CP_WORK"]
PORT = int(os.environ["CP_PORT"])
SEQUENTIAL = int(os.environ.get("BENCH_CREATIONS", "10"))
PARALLEL = int(os.environ.get("BENCH_PARALLEL", "5"))
SHAPE = {"plan": "growth", "worker_groups": 2, "replicas": 1, "template": "saas"}


def running_postmasters(database_id):
    directory = os.path.join(WORK, "serve", "databases", database_id)
    found = subprocess.run(["pgrep", "-f", f"postgres -D {directory}/"], capture_output=True, text=True)
    return len(found.stdout.split())


def main():
    serve = Serve(SHALE, os.path.join(WORK, "serve"), PORT, ["--grace-period", "0"])
    serve.start()
    api = Api(PORT, open(os.path.join(WORK, "first-token")).read().strip())
    try:
        times = []
        for index in range(SEQUENTIAL):
            started = time.time()
            answer = api.post("/v1/databases", dict(SHAPE, name=f"seq-{index}"))
            operation = api.wait_operation(answer.json["operation"]["id"], timeout=120)
            elapsed = time.time() - started
            assert operation["state"] == "succeeded", operation
            times.append(elapsed)
            print(f"creation {index + 1}: {elapsed:.2f} s", flush=True)
            deleted = api.call("DELETE", f"/v1/databases/{answer.json['database']['id']}")
            api.wait_operation(deleted.json["operation"]["id"])
        print(f"sequential: {SEQUENTIAL} creations, p50 {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s (targets: p50 < 10 s, max < 20 s)")

        started = time.time()
        creations = [api.post("/v1/databases", dict(SHAPE, name=f"par-{index}")).json for index in range(PARALLEL)]
        time.sleep(2.0)
        serve.kill9()
        serve.start()
        outcomes = []
        for creation in creations:
            operation = api.wait_operation(creation["operation"]["id"], timeout=300)
            database = api.get(f"/v1/databases/{creation['database']['id']}").json["database"]
            leftovers = running_postmasters(database["id"]) if database["state"] == "failed" else 0
            outcomes.append((database["name"], operation["state"], operation["attempt"], leftovers))
        elapsed = time.time() - started
        for name, state, attempt, leftovers in outcomes:
            print(f"{name}: {state} after {attempt} attempt(s), {leftovers} server(s) left running")
        ready = sum(1 for outcome in outcomes if outcome[1] == "succeeded")
        print(f"parallel: {PARALLEL} creations with kill -9 of shale serve after 2 s: {ready} ready, "
              f"{PARALLEL - ready} failed cleanly, none stuck, all ended in {elapsed:.1f} s")
        assert all(outcome[1] in ("succeeded", "failed") and outcome[3] == 0 for outcome in outcomes)
    finally:
        serve.stop()


if __name__ == "__main__":
    main()
