#!/usr/bin/python3
"""source_writer.py — the application of test/e2e/import.sh: writes to the source
database, as the non-superuser role of the application, while it is imported.

Each transaction inserts an order with two items and an event (a partition of a
partitioned table), updates an order, moves a product to another tenant (an
update of the distribution column that leaves its TOASTed description alone),
appends a tag to a user (an array), inserts and deletes audit_log rows (a table
without a primary key, REPLICA IDENTITY FULL) and deletes an order (cascading to
its items). It runs until STOP_FILE exists; writes the source refuses (the
tables are locked, then write privileges are revoked at the cutover) are
counted and retried. On exit it prints one JSON line: committed transactions,
refused attempts, and the longest time a transaction waited.

usage: source_writer.py CONNINFO STOP_FILE [SEED [PAUSE_S]]   (PAUSE_S between transactions, 0.03)
"""
import json
import os
import random
import sys
import time

import psycopg2
import psycopg2.errors


def one_transaction(cursor, rng):
    tenant = rng.randint(1, 40)
    cursor.execute("SELECT id FROM users WHERE tenant_id = %s ORDER BY random() LIMIT 1", (tenant,))
    user = cursor.fetchone()
    if user is None:
        cursor.execute("INSERT INTO users (tenant_id, email, tags) VALUES (%s, %s, %s) RETURNING id",
                       (tenant, "writer%d@example.com" % rng.randint(0, 10**12), ["new"]))
        user = cursor.fetchone()
    cursor.execute("INSERT INTO orders (tenant_id, user_id, status, total) VALUES (%s, %s, 'new', %s) RETURNING id",
                   (tenant, user[0], rng.randint(1, 900)))
    order = cursor.fetchone()[0]
    for line in (1, 2):
        cursor.execute("INSERT INTO order_items (tenant_id, order_id, line, quantity, attributes) "
                       "VALUES (%s, %s, %s, %s, %s)",
                       (tenant, order, line, line, json.dumps({"writer": True, "line": line})))
    cursor.execute("INSERT INTO events (tenant_id, at, payload) VALUES (%s, %s, %s)",
                   (tenant, "2026-02-%02d" % rng.randint(1, 28), json.dumps({"order": order})))
    cursor.execute("UPDATE orders SET status = 'paid', total = total + 1 "
                   "WHERE (tenant_id, id) = (SELECT tenant_id, id FROM orders WHERE tenant_id = %s "
                   "ORDER BY random() LIMIT 1)", (tenant,))
    # the distribution column changes: the row moves to another shard on Shale
    cursor.execute("UPDATE products SET tenant_id = %s, price = price + 1 "
                   "WHERE id = (SELECT id FROM products ORDER BY random() LIMIT 1)", (rng.randint(1, 40),))
    cursor.execute("UPDATE users SET tags = tags || %s::text "
                   "WHERE (tenant_id, id) = (SELECT tenant_id, id FROM users WHERE tenant_id = %s LIMIT 1)",
                   ("t%d" % rng.randint(0, 99), tenant))
    cursor.execute("INSERT INTO audit_log (tenant_id, message) VALUES (%s, %s)", (tenant, "order %d" % order))
    cursor.execute("DELETE FROM audit_log WHERE ctid = (SELECT ctid FROM audit_log WHERE tenant_id = %s "
                   "ORDER BY happened_at LIMIT 1)", (tenant,))
    if rng.random() < 0.3:
        cursor.execute("DELETE FROM orders WHERE (tenant_id, id) = (SELECT tenant_id, id FROM orders "
                       "WHERE tenant_id = %s ORDER BY random() LIMIT 1)", (tenant,))


def main():
    conninfo, stop_file = sys.argv[1], sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0.03
    connection = psycopg2.connect(conninfo)
    committed = refused = 0
    longest = 0.0
    while not os.path.exists(stop_file):
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                one_transaction(cursor, rng)
            connection.commit()
            committed += 1
            longest = max(longest, time.monotonic() - started)
        except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.LockNotAvailable,
                psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure):
            connection.rollback()
            refused += 1
            time.sleep(0.05)
        time.sleep(pause)
    connection.close()
    print(json.dumps({"committed": committed, "refused": refused, "longest_wait_s": round(longest, 3)}))


if __name__ == "__main__":
    main()
