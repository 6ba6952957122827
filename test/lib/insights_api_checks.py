"""insights_api_checks.py — checks of GET /v1/databases/{id}/insights and POST
…/insights/apply and …/insights/dismiss, run by control_plane_test.py after
check_tables (portal_items is then distributed by id): a fan-out on kind shows
as a pattern and as index advice; applying it creates the index and the advice
goes away; bad input is a 4xx, never a 500."""


def check_insights(api, check, database, connect_database):
    base = f"/v1/databases/{database['id']}"
    with connect_database(database) as connection, connection.cursor() as cursor:
        for number in range(12):
            cursor.execute("SELECT count(*) FROM portal_items WHERE kind = %s", (f"k{number}",))
    answer = api.get(base + "/insights?window=15m")
    check(answer.status == 200, f"insights: {answer}")
    insights = answer.json["insights"]
    fanout = [p for p in insights["patterns"] if p["query"] == "SELECT count(*) FROM portal_items WHERE kind = $1"]
    # the database has one worker group: every shard's scan runs there, in one statement
    check(len(fanout) == 1 and fanout[0]["calls"] == 12 and fanout[0]["fanout_filter_table"] == "portal_items" and
          fanout[0]["fanout_filter_column"] == "kind", f"the fan-out pattern: {fanout}")
    # the control plane's own reads (the storage monitor, GET …/shards: both read shale.shards, which
    # this test never queries itself) are not the user's patterns
    own = [p["query"] for p in insights["patterns"] if "shale.shards" in p["query"]]
    check(own == [], f"no pattern of the control plane's own statements: {own}")
    advice = {a["id"]: a for a in insights["advice"]}
    wanted = advice.get("index:portal_items:kind")
    check(wanted is not None and wanted["statements"] == ["CREATE INDEX portal_items_kind_idx ON portal_items (kind)"],
          f"index advice: {sorted(advice)}")
    for bad in ["?window=8d", "?window=0m", "?window=1w", "?window=", "?limit=0", "?limit=x", "?colour=red"]:
        check(api.get(base + "/insights" + bad).status == 400, f"insights{bad}: 400")
    check(api.post(base + "/insights/apply", {}).status == 422, "apply without advice_id: 422")
    check(api.post(base + "/insights/apply", {"advice_id": 7}).status == 422, "a number as advice_id: 422")
    check(api.post(base + "/insights/apply", {"advice_id": "no:such"}).status == 404, "unknown advice: 404")
    check(api.get("/v1/databases/db_nope/insights").status == 404, "unknown database: 404")
    applied = api.post(base + "/insights/apply", {"advice_id": "index:portal_items:kind"})
    check(applied.status == 200 and applied.json["results"][0]["ok"], f"apply: {applied}")
    after = api.get(base + "/insights?window=1h&limit=5").json["insights"]
    check("index:portal_items:kind" not in {a["id"] for a in after["advice"]} and len(after["patterns"]) <= 5,
          f"applied advice gone: {[a['id'] for a in after['advice']]}")
    dismissed = api.post(base + "/insights/dismiss", {"advice_id": "duplicate_index:anything"})
    check(dismissed.status == 200 and dismissed.json == {"advice_id": "duplicate_index:anything", "dismissed": True},
          f"dismiss: {dismissed}")
