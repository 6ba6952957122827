// Connect.tsx — the connect panel of one database.
import { usePoll } from "../hooks";
import type { Database } from "../types";
import { ConnectPanel } from "../components/ConnectPanel";
import { ErrorNote } from "../components/ui";
import { DatabaseTitle } from "./DatabaseTitle";

export function ConnectScreen({ id }: { id: string }) {
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Connect" />
      <ErrorNote error={database.error} title="Could not load the database" />
      {database.data && <ConnectPanel database={database.data.database} />}
    </>
  );
}
