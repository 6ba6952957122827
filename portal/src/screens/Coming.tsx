// Coming.tsx — the places kept for branches, deploy requests and insights,
// whose APIs come with their own issues.
import { Empty } from "../components/ui";
import { usePoll } from "../hooks";
import type { Database } from "../types";
import { DatabaseTitle } from "./DatabaseTitle";

const texts: Record<string, [string, string]> = {
  branches: ["Branches", "A branch is a copy of this database's schema (and, if you like, its data) to develop against, made in seconds. Branches come with the branching feature of shale serve; until then, restore a backup into a new database (Backups) to get a copy."],
  "deploy-requests": ["Deploy requests", "A deploy request proposes a branch's schema change for this database, shows the diff, and applies it online once approved. It comes after branches."],
  insights: ["Insights", "Insights will show the slowest and most frequent queries, which shards they touch, and advice on distribution columns. Until then, the Overview shows queries per second, latency and connections."],
};

export function ComingScreen({ id, what }: { id: string; what: string }) {
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const [title, text] = texts[what];
  return (
    <>
      <DatabaseTitle database={database.data?.database} section={title} />
      <Empty title={`${title} are not available yet`}>
        <p>{text}</p>
      </Empty>
    </>
  );
}
