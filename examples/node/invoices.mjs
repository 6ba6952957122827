// invoices.mjs — the examples' multi-tenant invoicing app on the Node.js SDK
// (see ../README.md). Usage: node invoices.mjs URI
import { Database, TenantScopeError } from "@shale-db/sdk";

const acme = { id: 1, name: "acme" };
const globex = { id: 2, name: "globex" };
const money = (cents) => (cents / 100).toFixed(2);

class PlanLimitError extends Error {}

/** Makes the tables: plans (a reference table), invoices and payments (distributed by org_id, co-located). */
async function setUp(db) {
  await db.query("DROP TABLE IF EXISTS ex_payments, ex_invoices, ex_plans");
  await db.query("CREATE TABLE ex_plans (code text PRIMARY KEY, invoice_limit int NOT NULL)");
  await db.query(`CREATE TABLE ex_invoices (org_id bigint NOT NULL, id bigint NOT NULL, customer text NOT NULL,
    amount_cents bigint NOT NULL, status text NOT NULL DEFAULT 'open', PRIMARY KEY (org_id, id))`);
  await db.query("CREATE TABLE ex_payments (org_id bigint NOT NULL, invoice_id bigint NOT NULL, amount_cents bigint NOT NULL, PRIMARY KEY (org_id, invoice_id))");
  await db.makeReferenceTable("ex_plans");
  await db.distributeTable("ex_invoices", "org_id");
  await db.distributeTable("ex_payments", "org_id", { colocateWith: "ex_invoices" });
  await db.query("INSERT INTO ex_plans VALUES ('starter', 3)");
}

/** Adds an invoice unless the tenant's plan limit is reached. */
function createInvoice(tenant, id, customer, cents) {
  return tenant.transaction(async (tx) => {
    const limit = (await tx.query("SELECT invoice_limit FROM ex_plans WHERE code = 'starter'")).rows[0].invoice_limit;
    const count = (await tx.query("SELECT count(*)::int AS n FROM ex_invoices WHERE org_id = $1", [tenant.value])).rows[0].n;
    if (count >= limit) throw new PlanLimitError(`the starter plan allows ${limit} invoices`);
    await tx.insert("ex_invoices", { id, customer, amount_cents: cents });
  });
}

/** Marks an open invoice paid and records the payment, in one transaction. */
function payInvoice(tenant, id) {
  return tenant.transaction(async (tx) => {
    const { rows } = await tx.query(
      "UPDATE ex_invoices SET status = 'paid' WHERE org_id = $1 AND id = $2 AND status = 'open' RETURNING amount_cents::int AS cents",
      [tenant.value, id]);
    if (rows.length === 0) throw new Error(`invoice ${id} is not open`);
    await tx.insert("ex_payments", { invoice_id: id, amount_cents: rows[0].cents });
  });
}

const db = await Database.connect(process.argv[2]);
await setUp(db);
const tenants = new Map([[acme.id, db.tenant(acme.id)], [globex.id, db.tenant(globex.id)]]);

const invoices = [[acme, 1, "Ada", 12000], [acme, 2, "Brian", 4500], [acme, 3, "Chen", 30000], [acme, 4, "Dana", 1000],
  [globex, 1, "Dora", 800], [globex, 2, "Emil", 99900]];
for (const [org, id, customer, cents] of invoices) {
  try {
    await createInvoice(tenants.get(org.id), id, customer, cents);
    console.log(`${org.name}: invoice ${id} for ${customer}, ${money(cents)}`);
  } catch (error) {
    if (!(error instanceof PlanLimitError)) throw error;
    console.log(`${org.name}: invoice ${id} refused: ${error.message}`);
  }
}
for (const [org, id] of [[acme, 1], [acme, 3], [globex, 2]]) {
  await payInvoice(tenants.get(org.id), id);
  console.log(`${org.name}: invoice ${id} paid`);
}
for (const org of [acme, globex]) {
  const { rows } = await tenants.get(org.id).query(
    `SELECT count(*) FILTER (WHERE status = 'open')::int AS open, count(*) FILTER (WHERE status = 'paid')::int AS paid,
            coalesce(sum(amount_cents) FILTER (WHERE status = 'open'), 0)::int AS open_cents FROM ex_invoices WHERE org_id = $1`, [org.id]);
  console.log(`${org.name}: ${rows[0].open} open (${money(rows[0].open_cents)}), ${rows[0].paid} paid`);
}

// a tenant handle refuses another tenant's rows before running anything
try {
  await tenants.get(acme.id).query("SELECT id FROM ex_invoices WHERE org_id = $1", [globex.id]);
  throw new Error("acme read globex's invoices");
} catch (error) {
  if (!(error instanceof TenantScopeError)) throw error;
  console.log("acme reading globex's invoices: refused by the tenant handle");
}

const total = (await db.query("SELECT count(*)::int AS n, sum(amount_cents)::int AS cents FROM ex_invoices")).rows[0];
console.log(`all tenants: ${total.n} invoices, ${money(total.cents)} in all`);
await db.end();
