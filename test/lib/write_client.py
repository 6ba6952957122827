#!/usr/bin/env python3
"""write_client.py — a write load that records every acknowledged commit.

Usage: write_client.py URI TABLE ACK_FILE STOP_FILE

Inserts rows (id, written_at) one by one, each in its own transaction, through
URI (the cluster's multi-host URI). After every COMMIT the server acknowledged,
it appends "id unix_time" to ACK_FILE and flushes, so the file lists exactly the
acknowledged rows. A failed statement or commit is not acknowledged: its id is
never reused and never listed (it may or may not be in the table). On an error
the client reconnects and goes on, until STOP_FILE exists. Errors go to stderr
with a time stamp, so failover gaps can be read from the log.
"""
import sys
import time

import psycopg2

from client_common import close_quietly, stopped

uri, table, ack_path, stop_path = sys.argv[1:5]


def main():
    next_id = None  # after the largest id already in the table
    connection = None
    with open(ack_path, "a", buffering=1) as acks:
        while not stopped(stop_path):
            try:
                if connection is None:
                    connection = psycopg2.connect(uri, connect_timeout=2)
                    connection.autocommit = True
                if next_id is None:
                    with connection.cursor() as cursor:
                        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
                        next_id = cursor.fetchone()[0]
                row_id = next_id
                next_id += 1
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {table} (id, written_at) VALUES (%s, now())", (row_id,))
                acks.write(f"{row_id} {time.time():.3f}\n")
            except psycopg2.Error as error:
                message = str(error).strip().replace("\n", " ")
                print(f"{time.time():.3f} error: {message}", file=sys.stderr, flush=True)
                connection = close_quietly(connection)
                time.sleep(0.05)


if __name__ == "__main__":
    main()
