// Tables.tsx — the tables of a database: kind, distribution column, shard
// count, size, rows; distribute a table or make it a reference table from here
// (the API runs the extension's own functions, so its checks and errors apply).
import { useState } from "react";
import { ApiError, asApiError, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Database, Table } from "../types";
import { Card, Empty, ErrorNote } from "../components/ui";
import { bytes } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

function TableActions({ id, table, onDone }: { id: string; table: Table; onDone: (message: string) => void }) {
  const [column, setColumn] = useState(table.columns[0] ?? "");
  const [shardCount, setShardCount] = useState(32);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (what: "distribute" | "make-reference") => {
    setBusy(true);
    setError(null);
    try {
      const path = `/v1/databases/${id}/tables/${encodeURIComponent(table.table_name)}/${what}`;
      await post(path, what === "distribute" ? { column, shard_count: shardCount } : {}, idempotencyKey());
      onDone(what === "distribute" ? `${table.table_name} is distributed by ${column} over ${shardCount} shards.` : `${table.table_name} is a reference table now.`);
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="table-actions">
      <label className="inline">
        Distribution column of {table.table_name}
        <select value={column} onChange={(event) => setColumn(event.target.value)}>
          {table.columns.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
      </label>
      <label className="inline">
        Shards
        <input type="number" min={1} max={4096} value={shardCount} onChange={(event) => setShardCount(Number(event.target.value))} className="narrow" />
      </label>
      <button type="button" disabled={busy} onClick={() => run("distribute")} aria-label={`Distribute ${table.table_name}`}>
        Distribute
      </button>
      <button type="button" className="secondary" disabled={busy} onClick={() => run("make-reference")} aria-label={`Make ${table.table_name} a reference table`}>
        Make reference table
      </button>
      {busy && <span aria-live="polite">Moving the rows…</span>}
      <ErrorNote error={error} title={`Could not change ${table.table_name}`} />
    </div>
  );
}

export function TablesScreen({ id }: { id: string }) {
  const { session } = useSession();
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const ready = database.data?.database.state === "ready";
  const tables = usePoll<{ tables: Table[] }>(ready ? `/v1/databases/${id}/tables` : null, 3000);
  const [notice, setNotice] = useState("");
  const list = tables.data?.tables ?? [];
  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Tables" />
      <ErrorNote error={database.error ?? tables.error} title="Could not load the tables" />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {tables.data && list.length === 0 && (
        <Empty title="No table yet">
          <p>
            Create tables with psql (see Connect), for example <code>CREATE TABLE orders (id bigint, customer_id bigint, total numeric);</code>. They show
            here; then distribute the big ones by the column you filter and join on, and make small lookup tables reference tables.
          </p>
        </Empty>
      )}
      {list.length > 0 && (
        <Card title="Tables">
          <div className="table-wrap">
            <table className="list" data-testid="tables">
              <caption className="visually-hidden">Tables of the database</caption>
              <thead>
                <tr>
                  <th scope="col">Table</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Distribution column</th>
                  <th scope="col">Shards</th>
                  <th scope="col">Size</th>
                  <th scope="col">Rows</th>
                </tr>
              </thead>
              <tbody>
                {list.map((table) => (
                  <tr key={table.table_name} data-testid={`table-${table.table_name}`}>
                    <td>{table.table_name}</td>
                    <td>{table.kind}</td>
                    <td>{table.distribution_column ?? "—"}</td>
                    <td>{table.shard_count || "—"}</td>
                    <td>{bytes(table.size_bytes)}</td>
                    <td data-testid={`rows-${table.table_name}`}>{table.row_count ?? "over 2 s to count"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
      {canWrite(session) && list.some((table) => table.kind === "local") && (
        <Card title="Distribute a table">
          <p className="hint">
            Local tables live on the router only. Distribute a large table by the column most queries filter and join on; make a small table that
            everything joins to a reference table (a copy in every worker group).
          </p>
          {list
            .filter((table) => table.kind === "local")
            .map((table) => (
              <TableActions
                key={table.table_name}
                id={id}
                table={table}
                onDone={(message) => {
                  setNotice(message);
                  tables.reload();
                }}
              />
            ))}
        </Card>
      )}
    </>
  );
}
