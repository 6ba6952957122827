// Package shale is the Go SDK for Shale, sharded PostgreSQL 15.
//
// It is a thin layer over pgx v5 (pgxpool) that adds what a sharded, failing-over
// database needs around the driver:
//
//   - Open: a pool from the multi-host URI that `shale up` prints; new connections
//     go to the read-write router node (pgx honours target_session_attrs), and a
//     connection attempt that finds no read-write node is retried with backoff for
//     a bounded time, so a router failover looks like a short pause.
//   - DB.Transaction: runs a function in a transaction and runs it again on
//     serialization failures, deadlocks and connection loss (see retry.go for the
//     rules), never after COMMIT may have reached the server unless the function
//     is marked idempotent. The TxReport says how many attempts it took.
//   - DB.Tenant: a handle bound to one distribution value that refuses statements
//     which would run anywhere but on that tenant's shard (see tenant.go).
//   - DistributeTable, MakeReferenceTable: the shale.* SQL functions.
//   - Error: every server error with its SQLSTATE, message, detail and hint, and a
//     Kind to match on.
//
// The management client for the control plane's /v1 API is the next piece; it will
// live in the sibling package management (see ../management/README.md).
package shale

// Version is the SDK version; it follows the Shale project version.
const Version = "0.1.0"
