package management

// client.go — the methods of Client, one per row of Endpoints (same name).
// Calls that start long work answer with an Operation: WaitOperation follows it.

import (
	"context"
	"fmt"
	"time"
)

// CreateDatabaseOptions are the optional fields of CreateDatabase (zero: the API's default).
type CreateDatabaseOptions struct {
	Template     string
	Plan         string
	WorkerGroups int
	Replicas     *int // nil: the default (1); 0 is allowed
	Settings     map[string]any
}

func optional[T comparable](value T) any {
	var zero T
	if value == zero {
		return nil
	}
	return value
}

func ptr[T any](value *T) any {
	if value == nil {
		return nil
	}
	return *value
}

func (c *Client) ListDatabases(ctx context.Context, includeDeleted bool) ([]Database, error) {
	var out struct{ Databases []Database }
	err := c.call(ctx, "ListDatabases", nil, Params{"include_deleted": optional(includeDeleted)}, nil, &out)
	return out.Databases, err
}

// CreateDatabase answers at once; the database is ready when the operation succeeded.
func (c *Client) CreateDatabase(ctx context.Context, name string, o CreateDatabaseOptions) (*DatabaseAndOperation, error) {
	var settings any
	if o.Settings != nil {
		settings = o.Settings
	}
	out := &DatabaseAndOperation{}
	err := c.call(ctx, "CreateDatabase", nil, nil, Params{"name": name, "template": optional(o.Template),
		"plan": optional(o.Plan), "worker_groups": optional(o.WorkerGroups), "replicas": ptr(o.Replicas),
		"settings": settings}, out)
	return out, err
}

func (c *Client) GetDatabase(ctx context.Context, id string) (*Database, error) {
	var out struct{ Database Database }
	err := c.call(ctx, "GetDatabase", Params{"id": id}, nil, nil, &out)
	return &out.Database, err
}

// FindDatabase returns the database with this name (or id), from one ListDatabases.
func (c *Client) FindDatabase(ctx context.Context, name string) (*Database, error) {
	databases, err := c.ListDatabases(ctx, false)
	if err != nil {
		return nil, err
	}
	for i := range databases {
		if databases[i].Name == name || databases[i].ID == name {
			return &databases[i], nil
		}
	}
	return nil, &APIError{Status: 404, Code: "not_found", Message: fmt.Sprintf("no database named %q in this organization", name),
		Field: "name", Method: "GET", Path: "/v1/databases"}
}

// UpdateDatabase changes the plan ("" keeps it) and settings (nil keeps them).
func (c *Client) UpdateDatabase(ctx context.Context, id, plan string, settings map[string]any) (*Database, error) {
	var out struct{ Database Database }
	var s any
	if settings != nil {
		s = settings
	}
	err := c.call(ctx, "UpdateDatabase", Params{"id": id}, nil, Params{"plan": optional(plan), "settings": s}, &out)
	return &out.Database, err
}

func (c *Client) DeleteDatabase(ctx context.Context, id string) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	return out, c.call(ctx, "DeleteDatabase", Params{"id": id}, nil, nil, out)
}

func (c *Client) UndeleteDatabase(ctx context.Context, id string) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	return out, c.call(ctx, "UndeleteDatabase", Params{"id": id}, nil, nil, out)
}

// ListBranches: a branch is a Database whose ParentID is id.
func (c *Client) ListBranches(ctx context.Context, id string) ([]Database, error) {
	var out struct{ Branches []Database }
	err := c.call(ctx, "ListBranches", Params{"id": id}, nil, nil, &out)
	return out.Branches, err
}

// CreateBranch: data is "" (schema), latest, a restore point or a UTC time; ttl 0: none.
func (c *Client) CreateBranch(ctx context.Context, id, name, data string, ttl time.Duration) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	err := c.call(ctx, "CreateBranch", Params{"id": id}, nil, Params{"name": name, "data": optional(data),
		"ttl_seconds": optional(int64(ttl / time.Second))}, out)
	return out, err
}

func (c *Client) GetBranch(ctx context.Context, id, branch string) (*Database, error) {
	var out struct{ Database Database }
	err := c.call(ctx, "GetBranch", Params{"id": id, "branch": branch}, nil, nil, &out)
	return &out.Database, err
}

func (c *Client) DeleteBranch(ctx context.Context, id, branch string) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	return out, c.call(ctx, "DeleteBranch", Params{"id": id, "branch": branch}, nil, nil, out)
}

func (c *Client) ResetBranch(ctx context.Context, id, branch string) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	return out, c.call(ctx, "ResetBranch", Params{"id": id, "branch": branch}, nil, nil, out)
}

func (c *Client) ListDeployRequests(ctx context.Context, id string) ([]DeployRequest, error) {
	var out struct {
		DeployRequests []DeployRequest `json:"deploy_requests"`
	}
	err := c.call(ctx, "ListDeployRequests", Params{"id": id}, nil, nil, &out)
	return out.DeployRequests, err
}

// CreateDeployRequest for branch (its name or id); autoApply deploys at once when nothing blocks it.
func (c *Client) CreateDeployRequest(ctx context.Context, id, branch string, autoApply bool) (*DeployRequestAndOperation, error) {
	out := &DeployRequestAndOperation{}
	err := c.call(ctx, "CreateDeployRequest", Params{"id": id}, nil, Params{"branch": branch, "auto_apply": optional(autoApply)}, out)
	return out, err
}

// GetDeployRequest: request is its number or id.
func (c *Client) GetDeployRequest(ctx context.Context, id, request string) (*DeployRequest, error) {
	var out struct {
		DeployRequest DeployRequest `json:"deploy_request"`
	}
	err := c.call(ctx, "GetDeployRequest", Params{"id": id, "request": request}, nil, nil, &out)
	return &out.DeployRequest, err
}

func (c *Client) Deploy(ctx context.Context, id, request string) (*DeployRequestAndOperation, error) {
	out := &DeployRequestAndOperation{}
	return out, c.call(ctx, "Deploy", Params{"id": id, "request": request}, nil, nil, out)
}

func (c *Client) Revert(ctx context.Context, id, request string) (*DeployRequestAndOperation, error) {
	out := &DeployRequestAndOperation{}
	return out, c.call(ctx, "Revert", Params{"id": id, "request": request}, nil, nil, out)
}

func (c *Client) CloseDeployRequest(ctx context.Context, id, request string) (*DeployRequest, error) {
	var out struct {
		DeployRequest DeployRequest `json:"deploy_request"`
	}
	err := c.call(ctx, "CloseDeployRequest", Params{"id": id, "request": request}, nil, nil, &out)
	return &out.DeployRequest, err
}

func (c *Client) ListRoles(ctx context.Context, id string) ([]Role, error) {
	var out struct{ Roles []Role }
	err := c.call(ctx, "ListRoles", Params{"id": id}, nil, nil, &out)
	return out.Roles, err
}

// CreateRole answers the only time its password is shown.
func (c *Client) CreateRole(ctx context.Context, id, name string) (*RoleWithPassword, error) {
	out := &RoleWithPassword{}
	return out, c.call(ctx, "CreateRole", Params{"id": id}, nil, Params{"name": name}, out)
}

// ResetRolePassword gives the role a new password; the old one stops working.
func (c *Client) ResetRolePassword(ctx context.Context, id, name string) (*RoleWithPassword, error) {
	out := &RoleWithPassword{}
	return out, c.call(ctx, "ResetRolePassword", Params{"id": id, "name": name}, nil, nil, out)
}

func (c *Client) DeleteRole(ctx context.Context, id, name string) error {
	return c.call(ctx, "DeleteRole", Params{"id": id, "name": name}, nil, nil, nil)
}

func (c *Client) ListBackups(ctx context.Context, id string) (*Backups, error) {
	out := &Backups{}
	return out, c.call(ctx, "ListBackups", Params{"id": id}, nil, nil, out)
}

// CreateBackup: kind is "" (the default), full, diff or incr.
func (c *Client) CreateBackup(ctx context.Context, id, kind string) (*Operation, error) {
	var out struct{ Operation Operation }
	err := c.call(ctx, "CreateBackup", Params{"id": id}, nil, Params{"kind": optional(kind)}, &out)
	return &out.Operation, err
}

// CreateRestorePoint: name "" lets the API choose (it is in the operation's Args).
func (c *Client) CreateRestorePoint(ctx context.Context, id, name string) (*Operation, error) {
	var out struct{ Operation Operation }
	err := c.call(ctx, "CreateRestorePoint", Params{"id": id}, nil, Params{"name": optional(name)}, &out)
	return &out.Operation, err
}

// Restore makes a new database named name from id's backups at to (a restore point or a UTC time).
func (c *Client) Restore(ctx context.Context, id, name, to string, replicas *int) (*DatabaseAndOperation, error) {
	out := &DatabaseAndOperation{}
	err := c.call(ctx, "Restore", Params{"id": id}, nil, Params{"name": name, "to": to, "replicas": ptr(replicas)}, out)
	return out, err
}

// ListTables: the database's tables as the API describes them (JSON values).
func (c *Client) ListTables(ctx context.Context, id string) ([]map[string]any, error) {
	var out struct{ Tables []map[string]any }
	err := c.call(ctx, "ListTables", Params{"id": id}, nil, nil, &out)
	return out.Tables, err
}

// DistributeTable runs shale.distribute_table as the database's superuser (application
// roles may not); shardCount 0 and colocateWith "" are the defaults.
func (c *Client) DistributeTable(ctx context.Context, id, table, column string, shardCount int, colocateWith string) (map[string]any, error) {
	var out struct{ Table map[string]any }
	err := c.call(ctx, "DistributeTable", Params{"id": id, "name": table}, nil,
		Params{"column": column, "shard_count": optional(shardCount), "colocate_with": optional(colocateWith)}, &out)
	return out.Table, err
}

// MakeReferenceTable runs shale.make_reference_table as the database's superuser.
func (c *Client) MakeReferenceTable(ctx context.Context, id, table string) (map[string]any, error) {
	var out struct{ Table map[string]any }
	err := c.call(ctx, "MakeReferenceTable", Params{"id": id, "name": table}, nil, nil, &out)
	return out.Table, err
}

// ListOperations: databaseID "" for all, limit 0 for the API's default.
func (c *Client) ListOperations(ctx context.Context, databaseID string, limit int) ([]Operation, error) {
	var out struct{ Operations []Operation }
	err := c.call(ctx, "ListOperations", nil, Params{"database_id": optional(databaseID), "limit": optional(limit)}, nil, &out)
	return out.Operations, err
}

func (c *Client) GetOperation(ctx context.Context, id string) (*Operation, error) {
	var out struct{ Operation Operation }
	err := c.call(ctx, "GetOperation", Params{"id": id}, nil, nil, &out)
	return &out.Operation, err
}

// WaitOperation polls GET /v1/operations/{id} every interval (0: 500 ms) until the
// operation succeeded (returned), failed (*OperationFailedError) or timeout passed
// (*OperationTimeoutError).
func (c *Client) WaitOperation(ctx context.Context, id string, timeout, interval time.Duration) (*Operation, error) {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	deadline := time.Now().Add(timeout)
	for {
		operation, err := c.GetOperation(ctx, id)
		if err != nil {
			return nil, err
		}
		switch operation.State {
		case "succeeded":
			return operation, nil
		case "failed":
			return operation, &OperationFailedError{Operation: operation}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return operation, &OperationTimeoutError{Operation: operation, Timeout: timeout.Seconds()}
		}
		if left > interval {
			left = interval
		}
		select {
		case <-ctx.Done():
			return operation, ctx.Err()
		case <-time.After(left):
		}
	}
}

// GetInsights: window "" (1h) or 15m, 1h, 24h, 7d...; limit 0 for the default (20).
// The answer is the API's insights object as JSON values.
func (c *Client) GetInsights(ctx context.Context, id, window string, limit int) (map[string]any, error) {
	var out struct{ Insights map[string]any }
	err := c.call(ctx, "GetInsights", Params{"id": id}, Params{"window": optional(window), "limit": optional(limit)}, nil, &out)
	return out.Insights, err
}

func (c *Client) GetCACertificate(ctx context.Context) (*CACertificate, error) {
	out := &CACertificate{}
	return out, c.call(ctx, "GetCACertificate", nil, nil, nil, out)
}
