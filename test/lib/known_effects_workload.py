#!/usr/bin/python3
"""known_effects_workload.py — writes through the router and remembers exactly
what it committed, so a test can compare the table with what must be there.

Usage: known_effects_workload.py PORT TABLE FIRST_ID LAST_ID STOP_FILE RESULT_FILE [THREADS]

Rows FIRST_ID..LAST_ID must exist with balance 0. Each thread owns the ids
congruent to its number modulo THREADS and, until STOP_FILE exists, inserts new
ids, adds 1 to balances, deletes rows, and moves 1 between two of its rows in
one transaction (often across worker groups: two-phase commit). Only
acknowledged commits change the remembered state. RESULT_FILE gets JSON:
{"rows": {id: balance}, "operations": n, "failures": [...], "max_stall_ms": x}.
A failure is any statement that did not commit; the caller decides whether
that is allowed.
"""
import json
import os
import random
import sys
import threading
import time

import psycopg2


def run_thread(number, threads, port, table, first_id, last_id, stop_file, shared):
    rows = {i: 0 for i in range(first_id, last_id + 1) if i % threads == number}
    next_id = last_id + 1 + number
    while next_id % threads != number:
        next_id += 1
    failures = []
    operations = 0
    max_stall = 0.0
    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    connection.autocommit = True
    cursor = connection.cursor()
    generator = random.Random(number)
    while not os.path.exists(stop_file):
        choice = generator.random()
        live = list(rows)
        started = time.monotonic()
        try:
            if choice < 0.3 or len(live) < 4:
                cursor.execute(f"INSERT INTO {table} (id, balance) VALUES (%s, 0)", (next_id,))
                rows[next_id] = 0
                next_id += threads
            elif choice < 0.7:
                key = generator.choice(live)
                cursor.execute(f"UPDATE {table} SET balance = balance + 1 WHERE id = %s", (key,))
                rows[key] += 1
            elif choice < 0.85:
                key = generator.choice(live)
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", (key,))
                del rows[key]
            else:
                first, second = sorted(generator.sample(live, 2))
                cursor.execute("BEGIN")
                cursor.execute(f"UPDATE {table} SET balance = balance - 1 WHERE id = %s", (first,))
                cursor.execute(f"UPDATE {table} SET balance = balance + 1 WHERE id = %s", (second,))
                cursor.execute("COMMIT")
                rows[first] -= 1
                rows[second] += 1
            operations += 1
        except psycopg2.Error as error:
            failures.append(f"{type(error).__name__}: {str(error).strip()}")
            try:
                cursor.execute("ROLLBACK")
            except psycopg2.Error:
                connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
                connection.autocommit = True
                cursor = connection.cursor()
        max_stall = max(max_stall, (time.monotonic() - started) * 1000)
    with shared["lock"]:
        shared["rows"].update(rows)
        shared["operations"] += operations
        shared["failures"].extend(failures)
        shared["max_stall_ms"] = max(shared["max_stall_ms"], max_stall)


def main():
    port, table, first_id, last_id, stop_file, result_file = sys.argv[1:7]
    threads = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    shared = {"lock": threading.Lock(), "rows": {}, "operations": 0, "failures": [], "max_stall_ms": 0.0}
    workers = [threading.Thread(target=run_thread,
                                args=(n, threads, int(port), table, int(first_id), int(last_id), stop_file, shared))
               for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    del shared["lock"]
    with open(result_file, "w") as out:
        json.dump(shared, out)


if __name__ == "__main__":
    main()
