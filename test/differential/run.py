#!/usr/bin/python3
"""Differential correctness test for Shale's distributed query paths.

The same tables with the same rows live in two schemas on the router: `plain`
(ordinary PostgreSQL tables) and `dist` (distributed / reference tables).  Every
read query of queries.sql and every write scenario of writes.sql runs against
both; the answers must be the same.  The dist side may refuse (an error where
plain succeeded), but it must never answer differently or lose the connection.

Usage: run.py --port PORT [--host H] [--only NAME] [--verbose] [--no-setup]
Exit status 1 on any wrong answer, crash, broken case (plain side failed), or a departure from
expected_refusals.txt (a case refused that must match, or listed but no longer refused).
"""
import argparse
import datetime
import decimal
import json
import math
import os
import re
import sys
import time

import psycopg2
import psycopg2.extensions

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = ["plain", "dist"]  # SCHEMAS[1] becomes "mirror" with --self-check
TIMEZONE = "Asia/Kolkata"  # +05:30: catches timestamptz work done in the wrong time zone
FLOAT_REL_TOL = 1e-9
FLOAT_ABS_TOL = 1e-12      # sums that cancel out to ~0 in a different order


# ---------------------------------------------------------------------------
# Tables and data.  {s} is the schema.  Data is deterministic (generate_series).
# ---------------------------------------------------------------------------

TABLES = {
    "accounts": (
        """CREATE TABLE {s}.accounts(id bigint PRIMARY KEY, tenant_id bigint, balance bigint,
                                     name text, created_at timestamptz, flags jsonb)""",
        """INSERT INTO {s}.accounts
           SELECT g,
                  CASE WHEN g % 17 = 0 THEN NULL ELSE abs(g) % 10 END,
                  CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 7919) % 20001 - 10000 END,
                  CASE WHEN g % 11 = 0 THEN NULL
                       WHEN g % 23 = 0 THEN ''
                       WHEN g % 7 = 0 THEN 'Zoë ' || g || ' ñandú 日本'
                       ELSE 'acct ' || (abs(g) % 300) END,
                  CASE WHEN g % 19 = 0 THEN NULL
                       ELSE timestamptz '2023-01-01 00:00:00+00' + g * interval '7 hours 13 minutes 11 seconds' END,
                  CASE WHEN g % 9 = 0 THEN NULL
                       ELSE jsonb_build_object('tier', abs(g) % 4, 'vip', g % 5 = 0,
                                               'tags', jsonb_build_array('t' || abs(g % 3), 't' || abs(g % 5)))
                            || CASE WHEN g % 6 = 0 THEN '{"beta": true}'::jsonb ELSE '{}'::jsonb END END
           FROM generate_series(-50, 1950) g""",
        "SELECT shale.distribute_table('{s}.accounts', 'id')",
    ),
    "orders": (
        """CREATE TABLE {s}.orders(account_id bigint, order_id bigint, amount numeric(12,2), status text,
                                   PRIMARY KEY (account_id, order_id))""",
        """INSERT INTO {s}.orders
           SELECT a, o,
                  CASE WHEN (a * o) % 29 = 0 THEN NULL
                       ELSE round(((a * 31 + o * 17) % 100000)::numeric / 100 - 200, 2) END,
                  (ARRAY['new', 'paid', 'shipped', 'cancelled', NULL, ''])[1 + abs(a + o) % 6]
           FROM generate_series(-50, 2050) a, generate_series(1, 3) o
           WHERE abs(a + o) % 4 <> 0 AND a % 37 <> 0""",
        "SELECT shale.distribute_table('{s}.orders', 'account_id', colocate_with => '{s}.accounts')",
    ),
    "tickets": (
        """CREATE TABLE {s}.tickets(id bigserial, account_id bigint, note text DEFAULT 'none',
                                    created date DEFAULT date '2024-01-01', qty int DEFAULT 1)""",
        """INSERT INTO {s}.tickets(account_id, note, qty)
           SELECT g % 40, 'seed ' || g, g % 3 FROM generate_series(1, 60) g""",
        "SELECT shale.distribute_table('{s}.tickets', 'account_id', colocate_with => '{s}.accounts')",
    ),
    "users": (
        """CREATE TABLE {s}.users(email text PRIMARY KEY, country text, age int, score double precision)""",
        """INSERT INTO {s}.users
           SELECT CASE WHEN g = 0 THEN ''
                       WHEN g % 10 = 0 THEN 'Ünïcode' || g || '@exämple.org'
                       ELSE 'user' || g || '@example.com' END,
                  (ARRAY['US', 'DE', 'FR', 'JP', 'BR', NULL, 'IN', 'XX'])[1 + g % 8],
                  CASE WHEN g % 12 = 0 THEN NULL ELSE 18 + g % 60 END,
                  CASE WHEN g % 14 = 0 THEN NULL ELSE (g * 1.37::float8) / 7.0 - 40.0 END
           FROM generate_series(0, 1000) g""",
        "SELECT shale.distribute_table('{s}.users', 'email')",
    ),
    "sessions": (
        """CREATE TABLE {s}.sessions(id uuid PRIMARY KEY, user_email text, started_at timestamp, duration interval)""",
        """INSERT INTO {s}.sessions
           SELECT md5(g::text)::uuid,
                  CASE WHEN g % 25 = 0 THEN NULL
                       WHEN g % 31 = 0 THEN 'nobody' || g || '@example.com'
                       ELSE 'user' || (g % 400 + 1) || '@example.com' END,
                  CASE WHEN g % 27 = 0 THEN NULL
                       ELSE timestamp '2024-02-28 22:00:00' + g * interval '37 minutes' END,
                  CASE WHEN g % 16 = 0 THEN NULL ELSE (g % 50) * interval '1 minute 30 seconds' + (g % 3) * interval '1 day' END
           FROM generate_series(1, 1500) g""",
        "SELECT shale.distribute_table('{s}.sessions', 'id')",
    ),
    "events": (
        """CREATE TABLE {s}.events(id bigint, account_id bigint, kind text, amount int)""",
        """INSERT INTO {s}.events
           SELECT g / 2, CASE WHEN g % 21 = 0 THEN NULL ELSE (g * 13) % 2100 - 60 END,
                  (ARRAY['click', 'view', 'buy', 'refund'])[1 + g % 4],
                  CASE WHEN g % 15 = 0 THEN NULL ELSE (g * 37) % 1000 - 300 END
           FROM generate_series(1, 3000) g""",
        "SELECT shale.distribute_table('{s}.events', 'id', shard_count => 8)",
    ),
    "countries": (
        """CREATE TABLE {s}.countries(code text PRIMARY KEY, name text, region text)""",
        """INSERT INTO {s}.countries VALUES
           ('US', 'United States', 'Americas'), ('DE', 'Germany', 'Europe'), ('FR', 'France', 'Europe'),
           ('JP', 'Japan', 'Asia'), ('BR', 'Brasil', 'Americas'), ('IN', 'India', 'Asia'),
           ('ES', 'España', 'Europe'), ('CN', '中国', 'Asia'), ('AQ', 'Antarctica', NULL),
           ('ZZ', '', ''), ('EU', 'Europe', 'Europe'), ('AM', 'Americas', 'Americas')""",
        "SELECT shale.make_reference_table('{s}.countries')",
    ),
    "local_notes": (
        """CREATE TABLE {s}.local_notes(account_id bigint, note text)""",
        """INSERT INTO {s}.local_notes
           SELECT (g * 53) % 2100 - 60, CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || g END
           FROM generate_series(1, 200) g""",
        None,
    ),
}

VIEWS = [
    """CREATE VIEW {s}.account_totals AS
       SELECT a.id, a.tenant_id, count(o.order_id) AS n_orders, sum(o.amount) AS total
       FROM {s}.accounts a LEFT JOIN {s}.orders o ON o.account_id = a.id
       GROUP BY a.id, a.tenant_id""",
    """CREATE VIEW {s}.rich_accounts AS
       SELECT id, name, balance FROM {s}.accounts WHERE balance > 5000""",
    # a UNION ALL view over three tables whose columns need coercion (bigint, numeric(12,2), int)
    """CREATE VIEW {s}.ledger AS
       SELECT id AS account_id, balance AS amount, 'balance'::text AS kind FROM {s}.accounts
       UNION ALL SELECT account_id, amount, status FROM {s}.orders
       UNION ALL SELECT account_id, qty, note FROM {s}.tickets""",
]

# Tables that must be reset together (co-location, and views over accounts/orders).
RESET_UNITS = [
    ["accounts", "orders", "tickets"],
    ["users"], ["sessions"], ["events"], ["countries"], ["local_notes"],
]


def sub(sql, schema):
    return sql.replace("{s}", schema)


# ---------------------------------------------------------------------------
# Results and comparison
# ---------------------------------------------------------------------------

class Result:
    """kind: ok | err | crash.  ok has names, rows, status; err has code, msg."""

    def __init__(self, kind, names=None, rows=None, status=None, code=None, msg=None):
        self.kind, self.names, self.rows, self.status = kind, names, rows, status
        self.code, self.msg = code, msg

    def describe(self):
        if self.kind == "ok":
            return "%s (%d rows)" % (self.status, len(self.rows or []))
        if self.kind == "err":
            return "ERROR %s %s" % (self.code, self.msg)
        return "CRASH %s" % self.msg


def veq(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if a == b:
            return True
        if math.isinf(a) or math.isinf(b):
            return False
        return abs(a - b) <= max(FLOAT_REL_TOL * max(abs(a), abs(b)), FLOAT_ABS_TOL)
    if type(a) is not type(b):
        return False
    if isinstance(a, decimal.Decimal):
        return str(a) == str(b)  # exact, scale included
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(veq(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(veq(a[k], b[k]) for k in a)
    if isinstance(a, datetime.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    return a == b


def sort_key(v):
    """A total order over row values that is stable under float noise."""
    if v is None:
        return (0, "")
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, float):
        if math.isnan(v):
            return (2, float("inf"), 1)
        return (2, float("%.8g" % v), 0)
    if isinstance(v, (int, decimal.Decimal)):
        return (3, v)
    if isinstance(v, str):
        return (4, v)
    if isinstance(v, (list, tuple)):
        return (5, tuple(sort_key(x) for x in v))
    if isinstance(v, dict):
        return (6, json.dumps(v, sort_keys=True, default=str))
    return (7, type(v).__name__, str(v))


def row_key(row):
    return tuple(sort_key(v) for v in row)


def compare_rows(plain_rows, dist_rows, ordered):
    """Returns None when equal, else a short diff text."""
    if not ordered:
        plain_rows = sorted(plain_rows, key=row_key)
        dist_rows = sorted(dist_rows, key=row_key)
    lines = []
    if len(plain_rows) != len(dist_rows):
        lines.append("row count: plain %d, dist %d" % (len(plain_rows), len(dist_rows)))
    shown = 0
    for i in range(max(len(plain_rows), len(dist_rows))):
        p = plain_rows[i] if i < len(plain_rows) else "<missing>"
        d = dist_rows[i] if i < len(dist_rows) else "<missing>"
        if isinstance(p, str) or isinstance(d, str) or not veq(tuple(p), tuple(d)):
            lines.append("  row %d: plain %s" % (i, _short(p)))
            lines.append("  row %d: dist  %s" % (i, _short(d)))
            shown += 1
            if shown >= 3:
                break
    return "\n".join(lines) if lines else None


def _short(row, limit=400):
    text = row if isinstance(row, str) else repr(tuple(row))
    return text if len(text) <= limit else text[:limit] + "..."


def compare_results(p, d, ordered):
    """Both ok: None or diff text."""
    if p.names != d.names:
        return "column names: plain %r, dist %r" % (p.names, d.names)
    if p.status != d.status:
        return "status: plain %r, dist %r" % (p.status, d.status)
    if p.rows is None and d.rows is None:
        return None
    return compare_rows(p.rows or [], d.rows or [], ordered)


# ---------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------

class Db:
    def __init__(self, host, port, verbose):
        self.host, self.port, self.verbose = host, port, verbose
        self.conn = None
        self.connect()

    def connect(self, wait=60):
        deadline = time.time() + wait
        while True:
            try:
                self.conn = psycopg2.connect(host=self.host, port=self.port, user="postgres",
                                             dbname="postgres", connect_timeout=10,
                                             application_name="shale-differential")
                break
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SET statement_timeout = '30s'")
            cur.execute("SET TimeZone = '%s'" % TIMEZONE)
            cur.execute("SET client_min_messages = warning")

    def run(self, sql):
        r = self._run(sql)
        if self.verbose:
            print("    sql: %s\n      -> %s" % (" ".join(sql.split())[:300], r.describe()))
        return r

    def _run(self, sql):
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
                names = [c.name for c in cur.description] if cur.description else None
                rows = cur.fetchall() if cur.description else None
                return Result("ok", names=names, rows=rows, status=cur.statusmessage)
        except psycopg2.Error as e:
            lost = self.conn.closed != 0 or (
                isinstance(e, (psycopg2.OperationalError, psycopg2.InterfaceError)) and e.pgcode is None)
            if not lost:
                try:  # a FATAL error can close the connection underneath us
                    with self.conn.cursor() as cur:
                        cur.execute("SELECT 1")
                except psycopg2.Error:
                    if self.conn.closed != 0:
                        lost = True
                    # else: the probe failed because a transaction is aborted; that is fine
            if lost:
                msg = (str(e).strip().splitlines() or ["connection lost"])[0]
                try:
                    self.conn.close()
                except Exception:
                    pass
                self.connect()
                return Result("crash", msg=msg)
            primary = e.diag.message_primary if e.diag and e.diag.message_primary else str(e).strip()
            return Result("err", code=e.pgcode, msg=primary.splitlines()[0] if primary else "")

    def in_transaction(self):
        return self.conn.get_transaction_status() != psycopg2.extensions.TRANSACTION_STATUS_IDLE

    def rollback_if_needed(self):
        if self.conn.closed == 0 and self.in_transaction():
            self.run("ROLLBACK")


# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------

def create_unit(db, schema, tables, views=True):
    """(Re)creates the given tables in schema, loads them, distributes them (dist only).
    Returns None or an error Result."""
    for t in tables:
        r = db.run(sub("DROP TABLE IF EXISTS {s}.%s CASCADE" % t, schema))
        if r.kind != "ok":
            return r
    for t in tables:
        create, load, distribute = TABLES[t]
        steps = [create, load]
        if schema == "dist" and distribute:
            steps.append(distribute)
        if schema == "mirror":
            # --self-check: same rows, stored in another physical order
            steps += ["CREATE TEMP TABLE mirror_tmp AS SELECT * FROM {s}.%s" % t,
                      "DELETE FROM {s}.%s" % t,
                      "INSERT INTO {s}.%s SELECT * FROM mirror_tmp x ORDER BY md5(x::text)" % t,
                      "DROP TABLE mirror_tmp"]
        for sql in steps:
            r = db.run(sub(sql, schema))
            if r.kind != "ok":
                return r
    if views and "accounts" in tables:
        for v in VIEWS:
            r = db.run(sub(v, schema))
            if r.kind != "ok":
                return r
    return None


def setup(db):
    for sql in ["DROP SCHEMA IF EXISTS %s CASCADE" % s for s in SCHEMAS] + \
               ["CREATE SCHEMA %s" % s for s in SCHEMAS]:
        r = db.run(sql)
        if r.kind != "ok":
            sys.exit("setup failed: %s: %s" % (sql, r.describe()))
    for schema in SCHEMAS:
        for unit in RESET_UNITS:
            r = create_unit(db, schema, unit)
            if r is not None:
                sys.exit("setup of %s failed: %s" % (schema, r.describe()))
    r = db.run("SELECT count(*) FROM shale.tables WHERE table_name::text LIKE 'dist.%'")
    if SCHEMAS[1] == "dist" and r.kind == "ok" and r.rows[0][0] != 7:
        sys.exit("setup: expected 7 distributed/reference tables in schema dist, found %r" % r.rows[0][0])


# ---------------------------------------------------------------------------
# Case files
# ---------------------------------------------------------------------------

HEADER = re.compile(r"^--\s*(query|prepared|scenario):\s*(\S+)\s*$")
OPTION = re.compile(r"^--\s*(ordered|error|types|args|tables|check)\b:?\s*(.*)$")


def parse_file(path):
    """Blocks start with `-- query: NAME`, `-- prepared: NAME` or `-- scenario: NAME`.
    Option lines (`-- ordered`, `-- error`, `-- types: ...`, `-- args: ...`, `-- tables: ...`,
    `-- check: SQL`) follow the header; the rest is SQL.  Other comment lines are ignored."""
    cases, cur = [], None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            m = HEADER.match(line)
            if m:
                cur = {"kind": m.group(1), "name": m.group(2), "line": lineno, "sql": [],
                       "ordered": False, "error": False, "types": None, "args": [],
                       "tables": [], "checks": []}
                cases.append(cur)
                continue
            if cur is None:
                continue
            m = OPTION.match(line)
            if m:
                opt, val = m.group(1), m.group(2).strip()
                if opt in ("ordered", "error"):
                    cur[opt] = True
                elif opt == "types":
                    cur["types"] = val
                elif opt == "args":
                    cur["args"].extend(a.strip() for a in val.split(" ; ") if a.strip())
                elif opt == "tables":
                    cur["tables"].extend(t.strip() for t in val.split(",") if t.strip())
                elif opt == "check":
                    cur["checks"].append(val)
                continue
            if line.strip().startswith("--"):
                continue  # comments (and section headers between cases)
            cur["sql"].append(line)
    for c in cases:
        text = "\n".join(c["sql"]).strip()
        if c["kind"] == "scenario":
            # statements end with ';' at the end of a line
            stmts, buf = [], []
            for line in text.splitlines():
                buf.append(line)
                if line.rstrip().endswith(";"):
                    stmts.append("\n".join(buf).strip().rstrip(";"))
                    buf = []
            if "\n".join(buf).strip():
                stmts.append("\n".join(buf).strip())
            c["stmts"] = stmts
        else:
            c["sql"] = text.rstrip(";").strip()
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("%s: duplicate case names %s" % (path, sorted(dup)))
    return cases


# ---------------------------------------------------------------------------
# Running cases
# ---------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.counts = {k: {"total": 0, "matched": 0, "refused": 0, "wrong": 0, "broken": 0}
                       for k in ("reads", "writes")}
        self.crashes = 0
        self.timeouts = 0
        self.non_0a = 0


def refusal_text(r):
    return "%s %s" % (r.code, r.msg)


BASELINE = os.path.join(HERE, "expected_refusals.txt")
BASELINE_HEADER = """# Cases of queries.sql and writes.sql that Shale refuses today, with the SQLSTATE of the refusal.
# run.py fails when a case not listed here is refused or times out (it must MATCH), when a listed
# case fails with another SQLSTATE, and when a listed case now matches (remove its line).
# Rewrite it with: test/differential/run.sh --update-baseline
"""


def read_baseline(path):
    """The cases that are allowed to be refused, with their SQLSTATE: {name: code}."""
    allowed = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, code = line.split()
                allowed[name] = code
    return allowed


class Runner:
    def __init__(self, db, verbose, baseline):
        self.db, self.verbose = db, verbose
        self.stats = Stats()
        self.baseline = baseline      # {name: SQLSTATE} of the refusals that are expected
        self.refusals = {}            # {name: SQLSTATE} of this run's refusals
        self.regressions = []         # lines explaining each departure from the baseline

    # outcome: MATCH | REFUSED | TIMEOUT | WRONG | CRASH | BROKEN
    def report(self, group, name, outcome, detail=""):
        st = self.stats.counts[group]
        st["total"] += 1
        if outcome == "MATCH":
            st["matched"] += 1
        elif outcome in ("REFUSED", "TIMEOUT"):
            st["refused"] += 1
            if outcome == "TIMEOUT":
                self.stats.timeouts += 1
        elif outcome == "WRONG":
            st["wrong"] += 1
        elif outcome == "CRASH":
            self.stats.crashes += 1
        elif outcome == "BROKEN":
            st["broken"] += 1
        line = "%s %s" % (outcome, name)
        if detail:
            first, _, rest = detail.partition("\n")
            line += " " + first
            if rest:
                line += "\n" + rest
        print(line, flush=True)

    def refused(self, group, name, r, where=""):
        self.refusals[name] = r.code
        if self.baseline.get(name) != r.code:
            self.regressions.append("REGRESSED %s: refused with %s, but %s" % (
                name, r.code, "expected %s" % self.baseline[name] if name in self.baseline
                else "it is not in expected_refusals.txt (it must MATCH)"))
        if r.code == "57014":
            self.report(group, name, "TIMEOUT", refusal_text(r) + where)
            return
        tag = ""
        if not (r.code or "").startswith("0A"):
            self.stats.non_0a += 1
            tag = " [not 0A]"
        self.report(group, name, "REFUSED", refusal_text(r) + where + tag)

    # --- reads -----------------------------------------------------------
    def judge_read(self, name, c, p, d, where=""):
        """Returns the outcome without reporting when `where` is set (prepared runs)."""
        if d.kind == "crash":
            return "CRASH", d.msg
        if c["error"]:
            if p.kind != "err":
                return "BROKEN", "plain side was expected to fail but returned " + p.describe()
            if d.kind == "ok":
                return "WRONG", "plain failed (%s) but dist returned %s" % (refusal_text(p), d.describe())
            if (d.code or "").startswith("0A") and not (p.code or "").startswith("0A"):
                return "REFUSED", d
            return "MATCH", ""
        if p.kind == "err":
            return "BROKEN", "plain side failed: " + refusal_text(p)
        if d.kind == "err":
            return "REFUSED", d
        diff = compare_results(p, d, c["ordered"])
        if diff:
            return "WRONG", diff
        return "MATCH", ""

    def finish_read(self, name, outcome, detail):
        if outcome == "REFUSED":
            self.refused("reads", name, detail)
        else:
            self.report("reads", name, outcome, detail)

    def run_read(self, c):
        if c["kind"] == "query":
            p = self.db.run(sub(c["sql"], "plain"))
            if p.kind == "crash":
                self.report("reads", c["name"], "CRASH", "plain side: " + p.msg)
                return
            d = self.db.run(sub(c["sql"], SCHEMAS[1]))
            outcome, detail = self.judge_read(c["name"], c, p, d)
            self.finish_read(c["name"], outcome, detail)
        else:
            self.run_prepared(c)

    def run_prepared(self, c):
        name = c["name"]
        args = c["args"] or [""]
        for s in SCHEMAS:
            self.db.run("DEALLOCATE ALL")
        results = {}
        for s in SCHEMAS:
            types = "(%s)" % c["types"] if c["types"] else ""
            results[s] = [self.db.run("PREPARE diff_%s%s AS %s" % (s, types, sub(c["sql"], s)))]
        p0, d0 = results["plain"][0], results[SCHEMAS[1]][0]
        if p0.kind != "ok":
            self.report("reads", name, "CRASH" if p0.kind == "crash" else "BROKEN", "PREPARE on plain: " + p0.describe())
            return
        if d0.kind == "crash":
            self.report("reads", name, "CRASH", "PREPARE: " + d0.msg)
            return
        worst, worst_detail = None, ""
        rank = {"MATCH": 0, "REFUSED": 1, "BROKEN": 2, "WRONG": 3, "CRASH": 4}
        for i in range(7):
            a = args[i % len(args)]
            execute = "EXECUTE diff_%%s(%s)" % a if a else "EXECUTE diff_%s"
            p = self.db.run(execute % "plain")
            if d0.kind == "err":
                d = d0  # PREPARE itself was refused
            else:
                d = self.db.run(execute % SCHEMAS[1])
            outcome, detail = self.judge_read(name, c, p, d)
            if outcome == "CRASH" and d0.kind != "err":
                # the prepared statement died with the connection: prepare it again
                for s in SCHEMAS:
                    types = "(%s)" % c["types"] if c["types"] else ""
                    self.db.run("PREPARE diff_%s%s AS %s" % (s, types, sub(c["sql"], s)))
            if outcome in ("WRONG", "BROKEN", "CRASH"):
                detail = "execution %d (%s): %s" % (i + 1, a, detail)
            if worst is None or rank[outcome] > rank[worst]:
                worst, worst_detail = outcome, detail
        self.db.run("DEALLOCATE ALL")
        if worst == "REFUSED":
            self.refused("reads", name, worst_detail)
        else:
            self.report("reads", name, worst, worst_detail)

    # --- writes ----------------------------------------------------------
    def checks_for(self, c):
        if c["checks"]:
            return c["checks"]
        return ["SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {s}.%s t" % t
                for t in c["tables"]]

    def checksum(self, schema, checks):
        out = []
        for q in checks:
            r = self.db.run(sub(q, schema))
            if r.kind != "ok":
                return r
            out.append(r.rows)
        return out

    def reset(self, schema, tables):
        units = [u for u in RESET_UNITS if any(t in u for t in tables)]
        for u in units:
            r = create_unit(self.db, schema, u)
            if r is not None:
                return r
        return None

    def run_scenario(self, c):
        name, tables, checks = c["name"], c["tables"], self.checks_for(c)
        db = self.db
        # plain side: every statement, with a checksum after each one
        db.run("DEALLOCATE ALL")
        r = self.reset("plain", tables)
        if r is not None:
            self.report("writes", name, "CRASH" if r.kind == "crash" else "BROKEN", "reset plain: " + r.describe())
            return
        initial = self.checksum("plain", checks)
        if isinstance(initial, Result):
            self.report("writes", name, "BROKEN", "plain checksum: " + initial.describe())
            return
        plain_steps = []            # Result of each statement
        last_committed = initial    # checksum of the last state outside a transaction
        committed_at = []           # per step: the committed checksum after that step
        for stmt in c["stmts"]:
            res = db.run(sub(stmt, "plain"))
            if res.kind == "crash":
                self.report("writes", name, "CRASH", "plain side: " + res.msg)
                return
            idle = not db.in_transaction()
            if idle:
                cs = self.checksum("plain", checks)
                if isinstance(cs, Result):
                    self.report("writes", name, "BROKEN", "plain checksum: " + cs.describe())
                    db.rollback_if_needed()
                    return
                last_committed = cs
            plain_steps.append(res)
            committed_at.append(last_committed)
        db.rollback_if_needed()
        plain_final = last_committed

        # dist side
        db.run("DEALLOCATE ALL")
        r = self.reset(SCHEMAS[1], tables)
        if r is not None:
            if r.kind == "crash":
                self.report("writes", name, "CRASH", "reset dist: " + r.msg)
            else:
                self.refused("writes", name, r, " (reset)")
            return
        notes = []
        for i, stmt in enumerate(c["stmts"]):
            p = plain_steps[i]
            d = db.run(sub(stmt, SCHEMAS[1]))
            if d.kind == "crash":
                self.report("writes", name, "CRASH", "step %d: %s" % (i + 1, d.msg))
                return
            if p.kind == "err":
                if d.kind == "ok":
                    db.rollback_if_needed()
                    self.report("writes", name, "WRONG",
                                "step %d: plain failed (%s) but dist returned %s"
                                % (i + 1, refusal_text(p), d.describe()))
                    return
                if (d.code or "").startswith("0A") and not (p.code or "").startswith("0A"):
                    # refused rather than failing like plain: state must be the committed one
                    return self.dist_refused(c, i, d, committed_at, initial, checks)
                if d.code != p.code:
                    notes.append("step %d: plain %s, dist %s %s" % (i + 1, p.code, d.code, d.msg))
                continue
            if d.kind == "err":
                return self.dist_refused(c, i, d, committed_at, initial, checks)
            diff = compare_results(p, d, ordered=False)
            if diff:
                db.rollback_if_needed()
                self.report("writes", name, "WRONG", "step %d (%s): %s"
                            % (i + 1, " ".join(c["stmts"][i].split())[:80], diff))
                return
        db.rollback_if_needed()
        dist_final = self.checksum(SCHEMAS[1], checks)
        if isinstance(dist_final, Result):
            if dist_final.kind == "crash":
                self.report("writes", name, "CRASH", "checksum: " + dist_final.msg)
            else:
                self.refused("writes", name, dist_final, " (checksum)")
            return
        diff = _diff_checksums(plain_final, dist_final, checks)
        if diff:
            self.report("writes", name, "WRONG", diff)
            return
        self.report("writes", name, "MATCH", "; ".join(notes) if self.verbose else "")

    def dist_refused(self, c, i, d, committed_at, initial, checks):
        """Statement i was refused on dist.  Roll back; the tables must hold the last
        committed state (a refusal never leaves half a statement behind)."""
        db = self.db
        db.rollback_if_needed()
        # The last committed state before statement i.  Inside a transaction that is the
        # state before its BEGIN, as the refusal aborted the transaction and we rolled back.
        expected = committed_at[i - 1] if i > 0 else initial
        actual = self.checksum(SCHEMAS[1], checks)
        where = " (step %d)" % (i + 1)
        if isinstance(actual, Result):
            if actual.kind == "crash":
                self.report("writes", c["name"], "CRASH", "checksum after refusal: " + actual.msg)
                return
            self.refused("writes", c["name"], d, where)  # cannot read it back yet
            return
        diff = _diff_checksums(expected, actual, checks)
        if diff:
            self.report("writes", c["name"], "WRONG",
                        "refused step %d (%s) but the tables changed: %s" % (i + 1, refusal_text(d), diff))
            return
        self.refused("writes", c["name"], d, where)


def _diff_checksums(plain, dist, checks):
    for q, p, d in zip(checks, plain, dist):
        if compare_rows(p, d, ordered=True):
            return "table contents differ: %s: plain %r, dist %r" % (" ".join(q.split())[:90], p, d)
    return None


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("ROUTER_PORT", "5432")))
    ap.add_argument("port_arg", nargs="?", type=int, help="router port (same as --port)")
    ap.add_argument("--only", action="append", help="run only the case(s) with this name (repeatable)")
    ap.add_argument("--match", help="run only cases whose name matches this regular expression")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every SQL statement sent")
    ap.add_argument("--no-setup", action="store_true", help="reuse the schemas of an earlier run")
    ap.add_argument("--reads-only", action="store_true")
    ap.add_argument("--writes-only", action="store_true")
    ap.add_argument("--list", action="store_true", help="list the case names and exit")
    ap.add_argument("--self-check", action="store_true",
                    help="check the corpus itself: compare plain with a schema `mirror` of ordinary tables "
                         "holding the same rows in another physical order (everything must MATCH)")
    ap.add_argument("--update-baseline", action="store_true",
                    help="rewrite expected_refusals.txt from this run's refusals (run the whole corpus)")
    args = ap.parse_args()
    if args.update_baseline and (args.only or args.match or args.reads_only or args.writes_only or args.self_check):
        sys.exit("--update-baseline needs the whole corpus: drop --only, --match, --reads-only, --writes-only")
    if args.self_check:
        SCHEMAS[1] = "mirror"
    port = args.port_arg or args.port

    reads = parse_file(os.path.join(HERE, "queries.sql"))
    writes = parse_file(os.path.join(HERE, "writes.sql"))
    if args.list:
        for c in reads + writes:
            print("%-9s %s" % (c["kind"], c["name"]))
        return 0
    if args.only:
        known = {c["name"] for c in reads + writes}
        missing = [n for n in args.only if n not in known]
        if missing:
            sys.exit("no such case: %s (see --list)" % ", ".join(missing))
        reads = [c for c in reads if c["name"] in args.only]
        writes = [c for c in writes if c["name"] in args.only]
    if args.match:
        rx = re.compile(args.match)
        reads = [c for c in reads if rx.search(c["name"])]
        writes = [c for c in writes if rx.search(c["name"])]
    if args.reads_only:
        writes = []
    if args.writes_only:
        reads = []

    db = Db(args.host, port, args.verbose)
    if not args.no_setup:
        setup(db)
    baseline = {} if args.self_check else read_baseline(BASELINE)
    runner = Runner(db, args.verbose, baseline)
    for c in reads:
        runner.run_read(c)
    for c in writes:
        runner.run_scenario(c)
    # a case the baseline expects refused that now matches: the baseline is stale
    for c in reads + writes:
        name = c["name"]
        if name in baseline and name not in runner.refusals:
            runner.regressions.append("STALE %s: expected_refusals.txt says it is refused (%s), but it was not; "
                                      "remove its line" % (name, baseline[name]))
    if args.update_baseline:
        with open(BASELINE, "w") as f:
            f.write(BASELINE_HEADER)
            for name in sorted(runner.refusals):
                f.write("%s %s\n" % (name, runner.refusals[name]))
        runner.regressions = []
    for line in runner.regressions:
        print(line)

    st = runner.stats
    rd, wr = st.counts["reads"], st.counts["writes"]
    broken = rd["broken"] + wr["broken"]
    print("differential: reads %d (matched %d, refused %d, wrong %d), writes %d (matched %d, refused %d, wrong %d), "
          "crashes %d, timeouts %d, refusals without SQLSTATE class 0A %d, broken %d"
          % (rd["total"], rd["matched"], rd["refused"], rd["wrong"],
             wr["total"], wr["matched"], wr["refused"], wr["wrong"],
             st.crashes, st.timeouts, st.non_0a, broken))
    passed = rd["matched"] + rd["refused"] + wr["matched"] + wr["refused"]
    failed = rd["wrong"] + wr["wrong"] + st.crashes + broken + len(runner.regressions)
    passed -= min(passed, len(runner.regressions))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
