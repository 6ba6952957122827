"""client_common.py — what the test clients (write_client.py, pooled_client.py) share."""
import os

import psycopg2


def stopped(stop_path):
    """True once the test created STOP_FILE."""
    return os.path.exists(stop_path)


def close_quietly(connection):
    """Closes a connection that failed, ignoring a second failure; returns None (no connection)."""
    try:
        if connection is not None:
            connection.close()
    except psycopg2.Error:
        pass
    return None
