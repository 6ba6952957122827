// transfer-loop.mjs — moves money between accounts on different worker groups
// through Database.transaction until a stop file appears;
// test/sdk/failover_transfers.sh runs it while it kills primaries. Each transfer
// is idempotent (it records its id in sdk_transfers and does nothing if the id is
// there), so the SDK may run it again even after a lost COMMIT. One line per
// transfer: "ok ID FROM TO AMOUNT MILLISECONDS ATTEMPTS SQLSTATE" (the last retried
// error's SQLSTATE, or -) or "err ID MESSAGE".
//
// Usage: node transfer-loop.mjs URI LABEL ACCOUNTS_A ACCOUNTS_B STOP_FILE RESULTS_FILE
import { existsSync, openSync, writeSync } from "node:fs";
import { Database } from "../dist/esm/index.mjs";

const [uri, label, accountsA, accountsB, stopFile, resultsFile] = process.argv.slice(2);
const groupA = accountsA.split(",");
const groupB = accountsB.split(",");
const results = openSync(resultsFile, "w");
const pick = (list) => list[Math.floor(Math.random() * list.length)];

// Locks the source account first: if an earlier attempt's two-phase commit is still in
// doubt (its COMMIT was lost in a router failover), the lock waits until 2PC recovery
// finishes it, and the check after it then sees that attempt's row.
async function transfer(tx, id, from, to, amount) {
  await tx.query("SELECT 1 FROM sdk_accounts WHERE id = $1 FOR UPDATE", [from]);
  const done = await tx.query("SELECT 1 FROM sdk_transfers WHERE from_id = $1 AND transfer_id = $2", [from, id]);
  if (done.rowCount > 0) return; // an earlier attempt committed
  await tx.query("UPDATE sdk_accounts SET balance = balance - $2 WHERE id = $1", [from, amount]);
  await tx.query("UPDATE sdk_accounts SET balance = balance + $2 WHERE id = $1", [to, amount]);
  await tx.query("INSERT INTO sdk_transfers (from_id, transfer_id, to_id, amount) VALUES ($1, $2, $3, $4)", [from, id, to, amount]);
}

const db = await Database.connect(uri, { max: 2 });
for (let n = 1; !existsSync(stopFile); n++) {
  let [from, to] = [pick(groupA), pick(groupB)];
  if (n % 2 === 0) [from, to] = [to, from];
  const id = `${label}-${n}`;
  const amount = 1 + Math.floor(Math.random() * 10);
  const started = Date.now();
  try {
    const { report } = await db.transactionWithReport((tx) => transfer(tx, id, from, to, amount), { idempotent: true });
    writeSync(results, `ok ${id} ${from} ${to} ${amount} ${Date.now() - started} ${report.attempts} ${report.lastError?.sqlstate ?? "-"}\n`);
  } catch (error) {
    writeSync(results, `err ${id} ${String(error.message).replace(/\n/g, " ")}\n`);
  }
}
await db.end();
