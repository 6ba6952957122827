"""TPC-H on plain PostgreSQL and on Shale: data from DuckDB's dbgen, the 22 queries on both,
every answer compared, per-query times and ratios. Started by bench/tpch/run, which starts the
servers; see bench/tpch/README.md."""
import argparse
import glob
import os
import sys
import time

import duckdb
import duckdb_extension_tpch
import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["region", "nation", "supplier", "part", "partsupp", "customer", "orders", "lineitem"]


def tpch_extension_path():
    """The tpch extension file inside the duckdb-extension-tpch wheel (no network needed)."""
    found = glob.glob(os.path.join(os.path.dirname(duckdb_extension_tpch.__file__), "extensions", "*",
                                   "tpch.duckdb_extension"))
    if not found:
        sys.exit("tpch: the duckdb-extension-tpch wheel holds no tpch.duckdb_extension")
    return found[0]


def generate(scale, data_dir):
    """Writes one CSV file per table at the scale factor (kept for the next run)."""
    marker = os.path.join(data_dir, "complete")
    if os.path.exists(marker):
        return
    os.makedirs(data_dir, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"LOAD '{tpch_extension_path()}'")
    con.execute(f"CALL dbgen(sf={scale})")
    for table in TABLES:
        con.execute(f"COPY {table} TO '{os.path.join(data_dir, table + '.csv')}' (FORMAT csv, HEADER false)")
    open(marker, "w").close()


def connect(dsn):
    con = psycopg2.connect(dsn)
    con.autocommit = True
    return con


def load(dsn, data_dir, shards, distributed):
    """Creates the schema (and, on Shale, the distribution), COPYs the CSV files, ANALYZEs."""
    con = connect(dsn)
    cur = con.cursor()
    cur.execute("DROP TABLE IF EXISTS " + ", ".join(reversed(TABLES)) + " CASCADE")
    cur.execute(open(os.path.join(HERE, "schema.sql")).read())
    if distributed:
        cur.execute(open(os.path.join(HERE, "distribution.sql")).read().replace(":shards", str(int(shards))))
    for table in TABLES:
        with open(os.path.join(data_dir, table + ".csv")) as data:
            cur.copy_expert(f"COPY {table} FROM STDIN (FORMAT csv)", data)
    for table in TABLES:
        cur.execute(f"ANALYZE {table}")
    con.close()


def router_read_bytes(pid):
    """Bytes the backend read through read() calls (sockets included): /proc/PID/io rchar."""
    try:
        with open(f"/proc/{pid}/io") as io:
            for line in io:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_query(con, sql, timeout_s):
    """Runs one query; returns (seconds, rows as text tuples, error or None, bytes read by the backend)."""
    cur = con.cursor()
    cur.execute(f"SET statement_timeout = '{int(timeout_s)}s'")
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    before = router_read_bytes(pid)
    start = time.monotonic()
    try:
        cur.execute(sql)
        rows = [tuple(None if v is None else str(v) for v in row) for row in cur.fetchall()]
        error = None
    except psycopg2.Error as e:
        rows, error = None, (e.pgcode or "") + " " + str(e).strip().splitlines()[0]
    seconds = time.monotonic() - start
    after = router_read_bytes(pid)
    moved = after - before if before is not None and after is not None else None
    return seconds, rows, error, moved


def has_total_order(sql):
    """Queries with an ORDER BY are compared in order; the others (one-row aggregates) as multisets."""
    return "order by" in sql.lower()


def explain(con, sql):
    cur = con.cursor()
    cur.execute("EXPLAIN " + sql)
    return "\n".join(r[0] for r in cur.fetchall())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--plain", required=True, help="libpq URI of the plain server")
    parser.add_argument("--shale", required=True, help="libpq URI of the Shale router")
    parser.add_argument("--data", required=True, help="directory for the CSV files")
    parser.add_argument("--shards", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=300, help="per-query statement_timeout, seconds")
    parser.add_argument("--queries", default="1-22", help="e.g. 1-22 or 4,21")
    parser.add_argument("--explain-dir", help="write each query's Shale EXPLAIN here")
    args = parser.parse_args()

    numbers = []
    for part in args.queries.split(","):
        low, _, high = part.partition("-")
        numbers += list(range(int(low), int(high or low) + 1))

    t = time.monotonic()
    generate(args.scale, args.data)
    print(f"data: scale factor {args.scale} in {args.data} ({time.monotonic() - t:.1f} s)", flush=True)
    for name, dsn, distributed in (("plain", args.plain, False), ("shale", args.shale, True)):
        t = time.monotonic()
        load(dsn, args.data, args.shards, distributed)
        print(f"load {name}: {time.monotonic() - t:.1f} s", flush=True)

    plain, shale = connect(args.plain), connect(args.shale)
    print(f"{'query':>5} {'plain s':>9} {'shale s':>9} {'ratio':>7} {'router read':>12}  answer")
    total_plain = total_shale = 0.0
    failures = 0
    for n in numbers:
        sql = open(os.path.join(HERE, "queries", f"q{n:02d}.sql")).read()
        if args.explain_dir:
            os.makedirs(args.explain_dir, exist_ok=True)
            try:
                text = explain(shale, sql)
            except psycopg2.Error as e:
                text = str(e)
            open(os.path.join(args.explain_dir, f"q{n:02d}.txt"), "w").write(text + "\n")
        plain_s, plain_rows, plain_error, _ = run_query(plain, sql, args.timeout)
        shale_s, shale_rows, shale_error, moved = run_query(shale, sql, args.timeout)
        if plain_error or shale_error:
            verdict = f"ERROR plain: {plain_error}" if plain_error else f"ERROR shale: {shale_error}"
            failures += 1
        elif (plain_rows == shale_rows if has_total_order(sql) else sorted(plain_rows, key=repr) == sorted(shale_rows, key=repr)):
            verdict = f"equal ({len(plain_rows)} rows)"
        else:
            verdict = f"DIFFERENT ({len(plain_rows)} plain rows, {len(shale_rows)} shale rows)"
            failures += 1
        total_plain += plain_s
        total_shale += shale_s
        moved_text = f"{moved / 1e6:.1f} MB" if moved is not None else "?"
        print(f"{'Q' + str(n):>5} {plain_s:9.3f} {shale_s:9.3f} {shale_s / plain_s:7.2f} {moved_text:>12}  {verdict}",
              flush=True)
    print(f"{'total':>5} {total_plain:9.3f} {total_shale:9.3f} {total_shale / max(total_plain, 1e-9):7.2f}")
    print(f"{len(numbers) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
