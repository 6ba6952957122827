"""The examples' multi-tenant invoicing app on the Python SDK (see ../README.md).

Usage: python invoices.py URI
"""
import sys

import shale

ACME = (1, "acme")
GLOBEX = (2, "globex")


def money(cents: int) -> str:
    return f"{cents / 100:.2f}"


class PlanLimitError(Exception):
    pass


def set_up(db: shale.Database) -> None:
    """Makes the tables: plans (a reference table), invoices and payments (distributed by org_id, co-located)."""
    db.execute("DROP TABLE IF EXISTS ex_payments, ex_invoices, ex_plans")
    db.execute("CREATE TABLE ex_plans (code text PRIMARY KEY, invoice_limit int NOT NULL)")
    db.execute(
        """CREATE TABLE ex_invoices (org_id bigint NOT NULL, id bigint NOT NULL, customer text NOT NULL,
           amount_cents bigint NOT NULL, status text NOT NULL DEFAULT 'open', PRIMARY KEY (org_id, id))"""
    )
    db.execute(
        "CREATE TABLE ex_payments (org_id bigint NOT NULL, invoice_id bigint NOT NULL, amount_cents bigint NOT NULL, "
        "PRIMARY KEY (org_id, invoice_id))"
    )
    db.make_reference_table("ex_plans")
    db.distribute_table("ex_invoices", "org_id")
    db.distribute_table("ex_payments", "org_id", colocate_with="ex_invoices")
    db.execute("INSERT INTO ex_plans VALUES ('starter', 3)")


def create_invoice(tenant: shale.Tenant, invoice_id: int, customer: str, cents: int) -> None:
    """Adds an invoice unless the tenant's plan limit is reached."""

    def create(tx: shale.TenantQueries) -> None:
        limit = tx.query("SELECT invoice_limit FROM ex_plans WHERE code = 'starter'")[0]["invoice_limit"]
        count = tx.query("SELECT count(*) AS n FROM ex_invoices WHERE org_id = %s", [tenant.value])[0]["n"]
        if count >= limit:
            raise PlanLimitError(f"the starter plan allows {limit} invoices")
        tx.insert("ex_invoices", {"id": invoice_id, "customer": customer, "amount_cents": cents})

    tenant.transaction(create)


def pay_invoice(tenant: shale.Tenant, invoice_id: int) -> None:
    """Marks an open invoice paid and records the payment, in one transaction."""

    def pay(tx: shale.TenantQueries) -> None:
        rows = tx.query(
            "UPDATE ex_invoices SET status = 'paid' WHERE org_id = %s AND id = %s AND status = 'open' RETURNING amount_cents",
            [tenant.value, invoice_id],
        )
        if not rows:
            raise RuntimeError(f"invoice {invoice_id} is not open")
        tx.insert("ex_payments", {"invoice_id": invoice_id, "amount_cents": rows[0]["amount_cents"]})

    tenant.transaction(pay)


def main(uri: str) -> None:
    db = shale.connect(uri)
    set_up(db)
    tenants = {ACME[0]: db.tenant(ACME[0]), GLOBEX[0]: db.tenant(GLOBEX[0])}

    invoices = [(ACME, 1, "Ada", 12000), (ACME, 2, "Brian", 4500), (ACME, 3, "Chen", 30000), (ACME, 4, "Dana", 1000),
                (GLOBEX, 1, "Dora", 800), (GLOBEX, 2, "Emil", 99900)]
    for (org_id, name), invoice_id, customer, cents in invoices:
        try:
            create_invoice(tenants[org_id], invoice_id, customer, cents)
            print(f"{name}: invoice {invoice_id} for {customer}, {money(cents)}")
        except PlanLimitError as refused:
            print(f"{name}: invoice {invoice_id} refused: {refused}")
    for (org_id, name), invoice_id in [(ACME, 1), (ACME, 3), (GLOBEX, 2)]:
        pay_invoice(tenants[org_id], invoice_id)
        print(f"{name}: invoice {invoice_id} paid")
    for org_id, name in (ACME, GLOBEX):
        row = tenants[org_id].query(
            """SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'paid') AS paid,
                      coalesce(sum(amount_cents) FILTER (WHERE status = 'open'), 0)::bigint AS open_cents
                 FROM ex_invoices WHERE org_id = %s""",
            [org_id],
        )[0]
        print(f"{name}: {row['open']} open ({money(row['open_cents'])}), {row['paid']} paid")

    # a tenant handle refuses another tenant's rows before running anything
    try:
        tenants[ACME[0]].query("SELECT id FROM ex_invoices WHERE org_id = %s", [GLOBEX[0]])
        raise RuntimeError("acme read globex's invoices")
    except shale.TenantScopeError:
        print("acme reading globex's invoices: refused by the tenant handle")

    total = db.query("SELECT count(*) AS n, sum(amount_cents)::bigint AS cents FROM ex_invoices")[0]
    print(f"all tenants: {total['n']} invoices, {money(total['cents'])} in all")
    db.close()


if __name__ == "__main__":
    main(sys.argv[1])
