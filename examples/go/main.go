// Command shale-invoices is the examples' multi-tenant invoicing app on the Go
// SDK (see ../README.md). Usage: go run . URI
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/shale-db/shale/sdk/go/shale"
)

type org struct {
	id   int64
	name string
}

var (
	acme   = org{1, "acme"}
	globex = org{2, "globex"}
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: shale-invoices URI")
	}
	ctx := context.Background()
	db, err := shale.Open(ctx, os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := setUp(ctx, db); err != nil {
		log.Fatal(err)
	}
	tenants := map[int64]*shale.Tenant{acme.id: db.Tenant(acme.id), globex.id: db.Tenant(globex.id)}

	for _, invoice := range []struct {
		org      org
		id       int64
		customer string
		cents    int64
	}{{acme, 1, "Ada", 12000}, {acme, 2, "Brian", 4500}, {acme, 3, "Chen", 30000}, {acme, 4, "Dana", 1000},
		{globex, 1, "Dora", 800}, {globex, 2, "Emil", 99900}} {
		err := createInvoice(ctx, tenants[invoice.org.id], invoice.id, invoice.customer, invoice.cents)
		var limit *planLimitError
		switch {
		case errors.As(err, &limit):
			fmt.Printf("%s: invoice %d refused: %v\n", invoice.org.name, invoice.id, err)
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Printf("%s: invoice %d for %s, %s\n", invoice.org.name, invoice.id, invoice.customer, money(invoice.cents))
		}
	}
	for _, payment := range []struct {
		org org
		id  int64
	}{{acme, 1}, {acme, 3}, {globex, 2}} {
		if err := payInvoice(ctx, tenants[payment.org.id], payment.id); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: invoice %d paid\n", payment.org.name, payment.id)
	}
	for _, o := range []org{acme, globex} {
		var open, paid int
		var openCents int64
		err := tenants[o.id].QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'open')::int, count(*) FILTER (WHERE status = 'paid')::int,
			coalesce(sum(amount_cents) FILTER (WHERE status = 'open'), 0)::bigint FROM ex_invoices WHERE org_id = $1`, o.id).Scan(&open, &paid, &openCents)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d open (%s), %d paid\n", o.name, open, money(openCents), paid)
	}

	// a tenant handle refuses another tenant's rows before running anything
	_, err = tenants[acme.id].Query(ctx, "SELECT id FROM ex_invoices WHERE org_id = $1", globex.id)
	var refused *shale.TenantScopeError
	if !errors.As(err, &refused) {
		log.Fatalf("acme read globex's invoices: %v", err)
	}
	fmt.Println("acme reading globex's invoices: refused by the tenant handle")

	var count int
	var cents int64
	if err := db.QueryRow(ctx, "SELECT count(*)::int, sum(amount_cents)::bigint FROM ex_invoices").Scan(&count, &cents); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("all tenants: %d invoices, %s in all\n", count, money(cents))
}

// setUp makes the tables: plans (a reference table), invoices and payments
// (distributed by org_id, co-located).
func setUp(ctx context.Context, db *shale.DB) error {
	for _, sql := range []string{
		"DROP TABLE IF EXISTS ex_payments, ex_invoices, ex_plans",
		"CREATE TABLE ex_plans (code text PRIMARY KEY, invoice_limit int NOT NULL)",
		`CREATE TABLE ex_invoices (org_id bigint NOT NULL, id bigint NOT NULL, customer text NOT NULL,
			amount_cents bigint NOT NULL, status text NOT NULL DEFAULT 'open', PRIMARY KEY (org_id, id))`,
		"CREATE TABLE ex_payments (org_id bigint NOT NULL, invoice_id bigint NOT NULL, amount_cents bigint NOT NULL, PRIMARY KEY (org_id, invoice_id))",
	} {
		if _, err := db.Exec(ctx, sql); err != nil {
			return err
		}
	}
	if err := db.MakeReferenceTable(ctx, "ex_plans"); err != nil {
		return err
	}
	if err := db.DistributeTable(ctx, "ex_invoices", "org_id"); err != nil {
		return err
	}
	if err := db.DistributeTable(ctx, "ex_payments", "org_id", shale.ColocateWith("ex_invoices")); err != nil {
		return err
	}
	_, err := db.Exec(ctx, "INSERT INTO ex_plans VALUES ('starter', 3)")
	return err
}

type planLimitError struct{ limit int }

func (e *planLimitError) Error() string { return fmt.Sprintf("the starter plan allows %d invoices", e.limit) }

// createInvoice adds an invoice unless the tenant's plan limit is reached.
func createInvoice(ctx context.Context, tenant *shale.Tenant, id int64, customer string, cents int64) error {
	_, err := tenant.Transaction(ctx, func(ctx context.Context, tx *shale.TenantTx) error {
		var limit, count int
		if err := tx.QueryRow(ctx, "SELECT invoice_limit FROM ex_plans WHERE code = 'starter'").Scan(&limit); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT count(*)::int FROM ex_invoices WHERE org_id = $1", tenant.Value()).Scan(&count); err != nil {
			return err
		}
		if count >= limit {
			return &planLimitError{limit}
		}
		_, err := tx.Insert(ctx, "ex_invoices", map[string]any{"id": id, "customer": customer, "amount_cents": cents})
		return err
	})
	return err
}

// payInvoice marks an open invoice paid and records the payment, in one transaction.
func payInvoice(ctx context.Context, tenant *shale.Tenant, id int64) error {
	_, err := tenant.Transaction(ctx, func(ctx context.Context, tx *shale.TenantTx) error {
		var cents int64
		err := tx.QueryRow(ctx, "UPDATE ex_invoices SET status = 'paid' WHERE org_id = $1 AND id = $2 AND status = 'open' RETURNING amount_cents",
			tenant.Value(), id).Scan(&cents)
		if err != nil {
			return fmt.Errorf("invoice %d is not open: %w", id, err)
		}
		_, err = tx.Insert(ctx, "ex_payments", map[string]any{"invoice_id": id, "amount_cents": cents})
		return err
	})
	return err
}

func money(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
