"""Moves money between accounts on different worker groups through
Database.transaction until a stop file appears; test/sdk/failover_transfers.sh
runs it while it kills primaries. Each transfer is idempotent (it records its id
in sdk_transfers and does nothing if the id is there), so the SDK may run it again
even after a lost COMMIT. One line per transfer: "ok ID FROM TO AMOUNT
MILLISECONDS ATTEMPTS SQLSTATE" (the last retried error's SQLSTATE, or -) or "err ID MESSAGE".

Usage: python transfer_loop.py URI LABEL ACCOUNTS_A ACCOUNTS_B STOP_FILE RESULTS_FILE
"""
import os
import random
import sys
import time

import shale


def transfer(tx: shale.Transaction, transfer_id: str, source: int, target: int, amount: int) -> None:
    """Locks the source account first: if an earlier attempt's two-phase commit is still in
    doubt (its COMMIT was lost in a router failover), the lock waits until 2PC recovery
    finishes it, and the check after it then sees that attempt's row."""
    tx.query("SELECT 1 FROM sdk_accounts WHERE id = %s FOR UPDATE", [source])
    if tx.query("SELECT 1 FROM sdk_transfers WHERE from_id = %s AND transfer_id = %s", [source, transfer_id]):
        return  # an earlier attempt committed
    tx.execute("UPDATE sdk_accounts SET balance = balance - %s WHERE id = %s", [amount, source])
    tx.execute("UPDATE sdk_accounts SET balance = balance + %s WHERE id = %s", [amount, target])
    tx.execute(
        "INSERT INTO sdk_transfers (from_id, transfer_id, to_id, amount) VALUES (%s, %s, %s, %s)",
        [source, transfer_id, target, amount],
    )


def main() -> None:
    uri, label, accounts_a, accounts_b, stop_file, results_file = sys.argv[1:7]
    group_a = [int(x) for x in accounts_a.split(",")]
    group_b = [int(x) for x in accounts_b.split(",")]
    db = shale.connect(uri, max_size=2)
    with open(results_file, "w", buffering=1) as results:
        n = 0
        while not os.path.exists(stop_file):
            n += 1
            source, target = random.choice(group_a), random.choice(group_b)
            if n % 2 == 0:
                source, target = target, source
            transfer_id, amount = f"{label}-{n}", random.randint(1, 10)
            started = time.monotonic()
            try:
                _, report = db.transaction_with_report(
                    lambda tx: transfer(tx, transfer_id, source, target, amount), idempotent=True
                )
            except Exception as error:  # noqa: BLE001 - the test counts every error the loop sees
                results.write(f"err {transfer_id} {str(error).replace(chr(10), ' ')}\n")
                continue
            elapsed_ms = int((time.monotonic() - started) * 1000)
            retried = getattr(report.last_error, "sqlstate", "-")
            results.write(f"ok {transfer_id} {source} {target} {amount} {elapsed_ms} {report.attempts} {retried}\n")
    db.close()


if __name__ == "__main__":
    main()
