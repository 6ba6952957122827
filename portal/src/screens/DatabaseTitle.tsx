// DatabaseTitle.tsx — the heading of a database's screens: name, state, section.
import type { Database } from "../types";
import { StateBadge } from "../components/ui";

export function DatabaseTitle({ database, section }: { database: Database | undefined; section: string }) {
  return (
    <div className="page-head">
      <h1>
        {database ? database.name : "…"} <span className="section-name">· {section}</span>
      </h1>
      {database && <StateBadge state={database.state} />}
    </div>
  );
}
