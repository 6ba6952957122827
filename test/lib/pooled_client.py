#!/usr/bin/env python3
"""pooled_client.py — one long-lived session, as an application's pool keeps.

Usage: pooled_client.py URI SQL LOG_FILE STOP_FILE

Runs SQL again and again on ONE connection (reopened only after an error, as a
pool replaces a broken connection), every 0.2 s, until STOP_FILE exists. Each
statement appends "start_time seconds ok|error" to LOG_FILE, so a test can check
that no statement waited beyond a bound, even while a worker's host is cut off.
"""
import sys
import time

import psycopg2

from client_common import close_quietly, stopped

uri, sql, log_path, stop_path = sys.argv[1:5]


def main():
    connection = None
    with open(log_path, "a", buffering=1) as log:
        while not stopped(stop_path):
            started = time.time()
            try:
                if connection is None:
                    connection = psycopg2.connect(uri, connect_timeout=2)
                    connection.autocommit = True
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    cursor.fetchall()
                outcome = "ok"
            except psycopg2.Error:
                outcome = "error"
                connection = close_quietly(connection)
            log.write(f"{started:.3f} {time.time() - started:.3f} {outcome}\n")
            time.sleep(0.2)


if __name__ == "__main__":
    main()
