package management

// types.go — the API's objects as docs/control-plane-openapi.json describes
// them (the fields a program uses; the rest stay in the JSON answers).

import "encoding/json"

// Database is a database (or a branch: ParentID set).
type Database struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	State          string         `json:"state"`
	Plan           string         `json:"plan"`
	Template       string         `json:"template"`
	WorkerGroups   int            `json:"worker_groups"`
	Replicas       int            `json:"replicas"`
	Settings       map[string]any `json:"settings"`
	URI            *string        `json:"uri"`
	Error          *string        `json:"error"`
	ParentID       *string        `json:"parent_id"`
	BranchData     *string        `json:"branch_data"`
	CreatedAt      *string        `json:"created_at"`
	DeletedAt      *string        `json:"deleted_at"`
	StorageBytes   *int64         `json:"storage_bytes"`
	StorageLimitGB *int64         `json:"storage_limit_gb"`
	ExpiresAt      *string        `json:"expires_at"`
}

// Step is one step of an operation.
type Step struct {
	Name   string  `json:"name"`
	State  string  `json:"state"`
	Detail *string `json:"detail,omitempty"`
}

// Operation is a long piece of work (create, delete, backup, branch, deploy, ...).
type Operation struct {
	ID         string         `json:"id"`
	DatabaseID *string        `json:"database_id"`
	Kind       string         `json:"kind"`
	State      string         `json:"state"` // pending, running, succeeded, failed
	Steps      []Step         `json:"steps"`
	Progress   int            `json:"progress"`
	Attempt    int            `json:"attempt"`
	Error      *string        `json:"error"`
	Args       map[string]any `json:"args"`
	CreatedAt  *string        `json:"created_at"`
	FinishedAt *string        `json:"finished_at"`
}

// DatabaseAndOperation is the answer of calls that start work on a database.
type DatabaseAndOperation struct {
	Database  Database  `json:"database"`
	Operation Operation `json:"operation"`
}

// Role is an application role; ConnectionURI has no password.
type Role struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	CreatedAt         *string `json:"created_at"`
	PasswordChangedAt *string `json:"password_changed_at"`
	ConnectionURI     *string `json:"connection_uri"`
}

// RoleWithPassword is the answer of create and reset: the only time the password is shown.
type RoleWithPassword struct {
	Role          Role   `json:"role"`
	Password      string `json:"password"`
	ConnectionURI string `json:"connection_uri"` // with the password
}

// DeployRequest is a request to apply a branch's schema changes to its parent.
type DeployRequest struct {
	ID          string            `json:"id"`
	DatabaseID  string            `json:"database_id"`
	BranchID    string            `json:"branch_id"`
	Branch      *string           `json:"branch"`
	Number      int               `json:"number"`
	State       string            `json:"state"`
	AutoApply   bool              `json:"auto_apply"`
	DDL         *string           `json:"ddl"`
	Deployable  bool              `json:"deployable"`
	Lint        []json.RawMessage `json:"lint"`
	Conflicts   []json.RawMessage `json:"conflicts"`
	Error       *string           `json:"error"`
	OperationID *string           `json:"operation_id"`
}

// DeployRequestAndOperation: Operation is nil when nothing started (a gated request).
type DeployRequestAndOperation struct {
	DeployRequest DeployRequest `json:"deploy_request"`
	Operation     *Operation    `json:"operation"`
}

// Backups is what the database's shaled knows of its backups and restore points.
type Backups struct {
	Backups       []map[string]any `json:"backups"`
	RestorePoints []map[string]any `json:"restore_points"`
}

// CACertificate is the installation's certificate authority.
type CACertificate struct {
	CACertificate string `json:"ca_certificate"` // PEM
	SSLMode       string `json:"sslmode"`
	Hint          string `json:"hint"`
}
