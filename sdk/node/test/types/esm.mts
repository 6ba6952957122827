// esm.mts — type-checked, never run (npm run test:types): an ES module consumer
// of the package's types, through its own name as users import it.
import { Database, ShaleError, TenantScopeError, type TransactionReport } from "@shale-db/sdk";

export async function example(uri: string): Promise<number> {
  const db: Database = await Database.connect(uri, { max: 2 });
  const { value, report }: { value: number; report: TransactionReport } = await db.transactionWithReport(
    async (tx) => (await tx.query<{ n: number }>("SELECT 1 AS n")).rows[0].n,
    { idempotent: true, isolation: "repeatable read", retry: { maxAttempts: 3 } },
  );
  try {
    await db.tenant(42).insert("notes", { id: 1 });
  } catch (error) {
    if (error instanceof TenantScopeError) return error.reason.length;
    if (error instanceof ShaleError && error.kind === "unique_violation") return 0;
  }
  return value + report.attempts;
}
