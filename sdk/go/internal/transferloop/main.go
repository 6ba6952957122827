// Command transferloop moves money between accounts on different worker groups
// through DB.Transaction until a stop file appears; test/sdk/failover_transfers.sh
// runs it while it kills primaries. Each transfer is idempotent (it records its
// id in sdk_transfers and does nothing if the id is there), so the SDK may run
// it again even after a lost COMMIT. One line per transfer goes to the results
// file: "ok ID FROM TO AMOUNT MILLISECONDS ATTEMPTS SQLSTATE" (the last retried
// error's SQLSTATE, or -) or "err ID MESSAGE".
//
// Usage: transferloop URI LABEL ACCOUNTS_A ACCOUNTS_B STOP_FILE RESULTS_FILE
// (ACCOUNTS_A and ACCOUNTS_B: comma-separated ids on two different worker groups).
package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shale-db/shale/sdk/go/shale"
)

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: transferloop URI LABEL ACCOUNTS_A ACCOUNTS_B STOP_FILE RESULTS_FILE")
		os.Exit(2)
	}
	uri, label, stopFile := os.Args[1], os.Args[2], os.Args[5]
	groupA, groupB := strings.Split(os.Args[3], ","), strings.Split(os.Args[4], ",")
	results, err := os.Create(os.Args[6])
	if err != nil {
		panic(err)
	}
	defer results.Close()
	ctx := context.Background()
	db, err := shale.Open(ctx, uri, shale.WithMaxConns(2))
	if err != nil {
		fmt.Fprintln(results, "err open", err)
		os.Exit(1)
	}
	defer db.Close()
	random := rand.New(rand.NewSource(time.Now().UnixNano()))
	for n := 1; ; n++ {
		if _, err := os.Stat(stopFile); err == nil {
			return
		}
		from, to := groupA[random.Intn(len(groupA))], groupB[random.Intn(len(groupB))]
		if n%2 == 0 {
			from, to = to, from
		}
		id, amount := fmt.Sprintf("%s-%d", label, n), 1+random.Intn(10)
		started := time.Now()
		report, err := db.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
			return transfer(ctx, tx, id, from, to, amount)
		}, shale.Idempotent())
		if err != nil {
			fmt.Fprintf(results, "err %s %s\n", id, strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		retried := "-"
		var last *shale.Error
		if errors.As(report.LastError(), &last) {
			retried = last.SQLState
		}
		fmt.Fprintf(results, "ok %s %s %s %d %d %d %s\n", id, from, to, amount, time.Since(started).Milliseconds(), report.Attempts, retried)
	}
}

// transfer moves amount from one account to another, once per id. It locks the
// source account first: if an earlier attempt's two-phase commit is still in doubt
// (its COMMIT was lost in a router failover), the lock waits until 2PC recovery
// finishes it, and the check after it then sees that attempt's row.
func transfer(ctx context.Context, tx pgx.Tx, id, from, to string, amount int) error {
	if _, err := tx.Exec(ctx, "SELECT 1 FROM sdk_accounts WHERE id = $1 FOR UPDATE", from); err != nil {
		return err
	}
	var done int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM sdk_transfers WHERE from_id = $1 AND transfer_id = $2", from, id).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil // an earlier attempt committed
	}
	if _, err := tx.Exec(ctx, "UPDATE sdk_accounts SET balance = balance - $2 WHERE id = $1", from, amount); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE sdk_accounts SET balance = balance + $2 WHERE id = $1", to, amount); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO sdk_transfers (from_id, transfer_id, to_id, amount) VALUES ($1, $2, $3, $4)", from, id, to, amount)
	return err
}
