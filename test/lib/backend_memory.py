#!/usr/bin/python3
"""backend_memory.py — checks that a router backend's memory stays bounded.

Runs against a cluster on 127.0.0.1 (router port as the first argument), on
this machine, so it can read the backend's /proc entry. Each check prints
"ok - ..." or "not ok - ..." and the numbers behind it; the exit status is 1
if any check failed.

  errors    1,000 multi-shard statements that fail in the middle of their
            result (an input function error on one shard's row, a statement
            timeout while rows arrive): the backend's memory contexts and its
            resident memory do not grow
  result    a SELECT of every row of a large table through the router keeps
            the backend's peak memory far below the size of the result
  insert    INSERT ... SELECT of many rows keeps the backend's peak memory
            bounded (not growing with the row count)
"""
import sys
import psycopg2

PORT = int(sys.argv[1])
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
failed = 0


def check(name, ok, detail):
    global failed
    print("%s - %s (%s)" % ("ok" if ok else "not ok", name, detail), flush=True)
    if not ok:
        failed += 1


def connect(port):
    c = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    c.autocommit = True
    return c


def proc_kb(pid, field):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for pid %d" % (field, pid))


def context_bytes(cur):
    cur.execute("SELECT sum(total_bytes) FROM pg_backend_memory_contexts")
    return int(cur.fetchone()[0])


router = connect(PORT)
cur = router.cursor()
cur.execute("DROP TABLE IF EXISTS mem_rows, mem_copy")
cur.execute("CREATE TABLE mem_rows (id bigint PRIMARY KEY, v int, pad text)")
cur.execute("SELECT shale.distribute_table('mem_rows', 'id', shard_count => 8)")
cur.execute("INSERT INTO mem_rows SELECT g, g, repeat('x', 40) FROM generate_series(1, 40000) g")
# one shard's copy gets a value the router's int4 input function refuses, in its last row
cur.execute("SELECT shale.shard_for('mem_rows', 40000::bigint)")
bad_shard = cur.fetchone()[0]
cur.execute("SELECT port FROM shale.shards s JOIN shale.nodes n ON n.group_id = s.group_id AND n.role = 'primary' "
            "WHERE s.shard_id = %s", (bad_shard,))
bad_port = cur.fetchone()[0]
worker = connect(bad_port)
wcur = worker.cursor()
# every shard of that node changes type (a worker reads its shards as one UNION ALL)
cur.execute("SELECT s.shard_id FROM shale.shards s JOIN shale.nodes n ON n.group_id = s.group_id "
            "AND n.role = 'primary' WHERE s.table_name = 'mem_rows'::regclass AND n.port = %s", (bad_port,))
for (shard_id,) in cur.fetchall():
    wcur.execute("ALTER TABLE public.mem_rows_%d ALTER COLUMN v TYPE text" % shard_id)
wcur.execute("UPDATE public.mem_rows_%d SET v = 'not a number' WHERE id = 40000" % bad_shard)
worker.close()

pid = router.get_backend_pid()


def failing_round():
    """One statement that fails mid-result, and one cut off by a statement timeout."""
    try:
        cur.execute("SELECT v, pad FROM mem_rows WHERE id > 0")
        cur.fetchall()
        raise RuntimeError("the broken row was not noticed")
    except psycopg2.errors.InvalidTextRepresentation:
        pass
    try:
        cur.execute("SET statement_timeout = 5")
        cur.execute("SELECT id, pad FROM mem_rows WHERE id <> 40000 ORDER BY pad, id")
        cur.fetchall()
    except psycopg2.errors.QueryCanceled:
        pass
    finally:
        cur.execute("RESET statement_timeout")


for _ in range(50):  # warm-up: caches, prepared statements, connections
    failing_round()
contexts_before, rss_before = context_bytes(cur), proc_kb(pid, "VmRSS")
for _ in range(1000):
    failing_round()
contexts_after, rss_after = context_bytes(cur), proc_kb(pid, "VmRSS")
check("1,000 statements failing mid-result leave the memory contexts as they were",
      contexts_after - contexts_before < 256 * 1024,
      "contexts %d -> %d bytes" % (contexts_before, contexts_after))
check("1,000 statements failing mid-result leave the resident memory as it was",
      rss_after - rss_before < 8 * 1024,
      "VmRSS %d -> %d kB" % (rss_before, rss_after))
router.close()

# a large result through the router: rows pass through a tuplestore of work_mem
router = connect(PORT)
cur = router.cursor()
cur.execute("CREATE TABLE mem_copy (id bigint, v int, pad text)")
cur.execute("SELECT shale.distribute_table('mem_copy', 'id')")
pid = router.get_backend_pid()
hwm_before = proc_kb(pid, "VmHWM")
cur.execute("INSERT INTO mem_copy SELECT g, g, repeat('y', 60) FROM generate_series(1, %s) g", (ROWS,))
hwm_insert = proc_kb(pid, "VmHWM")
check("INSERT ... SELECT of %d rows keeps the backend's peak memory bounded" % ROWS,
      hwm_insert - hwm_before < 64 * 1024,
      "VmHWM %d -> %d kB, %d rows of about 80 bytes" % (hwm_before, hwm_insert, ROWS))
router.close()
router = connect(PORT)  # a backend of its own, so its peak is the SELECT's
cur = router.cursor()
pid = router.get_backend_pid()
cur.execute("SELECT 1")
hwm_before = proc_kb(pid, "VmHWM")
cur.execute("SELECT count(*), sum(length(pad)) FROM (SELECT * FROM mem_copy OFFSET 0) s")
count, total = cur.fetchone()
hwm_select = proc_kb(pid, "VmHWM")
check("a SELECT of all %d rows through the router returns them" % ROWS, count == ROWS and total == ROWS * 60,
      "count %s, sum %s" % (count, total))
check("the SELECT keeps the backend's peak memory far below the result's size",
      hwm_select - hwm_before < 64 * 1024,
      "VmHWM %d -> %d kB for about %d MB of rows" % (hwm_before, hwm_select, ROWS * 80 // 1000000))
cur.execute("DROP TABLE mem_rows, mem_copy")
router.close()
print("backend_memory: %d failed" % failed)
sys.exit(1 if failed else 0)
