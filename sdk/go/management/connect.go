package management

// connect.go — a *shale.DB from a database name and an API token. The API
// shows the superuser's URI without its password, and a role's password only
// in the answer that creates or resets it. So ConnectionURI looks the database
// up, then puts the caller's password into the role's connection_uri, creates
// the role, or (Reset) gives it a new password; Connect opens the usual pool.

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/shale-db/shale/sdk/go/shale"
)

// ConnectOptions say which role to connect as (default "app") and how to get its password.
type ConnectOptions struct {
	Role     string
	Password string // the role's password, when known: nothing is created or reset
	Reset    bool   // the role exists and its password is unknown: give it a new one
}

// ConnectionInfo is a role's URI with its password: keep it as secret as the password.
type ConnectionInfo struct {
	URI, Role, Password, DatabaseID string
	Created                         bool // the role was created by this call
}

// WithPassword returns uri with password set for its user (a role's connection_uri has none).
func WithPassword(uri, password string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return "", fmt.Errorf("management: %q has no user", uri)
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":" + strings.ReplaceAll(url.QueryEscape(password), "+", "%20") + rest[at:], nil
}

// ConnectionURI returns the URI of a role on the database named database (or its id).
// A missing role is created; an existing one needs Password or Reset.
func (c *Client) ConnectionURI(ctx context.Context, database string, o ConnectOptions) (*ConnectionInfo, error) {
	if o.Role == "" {
		o.Role = "app"
	}
	found, err := c.FindDatabase(ctx, database)
	if err != nil {
		return nil, err
	}
	if found.State != "ready" {
		message := fmt.Sprintf("database %s is %s, not ready", found.Name, found.State)
		if found.Error != nil {
			message += ": " + *found.Error
		}
		return nil, &APIError{Status: 409, Code: "not_ready", Message: message, Method: "GET", Path: "/v1/databases"}
	}
	roles, err := c.ListRoles(ctx, found.ID)
	if err != nil {
		return nil, err
	}
	var existing *Role
	for i := range roles {
		if roles[i].Name == o.Role {
			existing = &roles[i]
		}
	}
	rolesPath := "/v1/databases/" + found.ID + "/roles"
	if o.Password != "" {
		if existing == nil || existing.ConnectionURI == nil {
			return nil, &APIError{Status: 404, Code: "not_found", Message: fmt.Sprintf("database %s has no role %q", found.Name, o.Role),
				Field: "role", Method: "GET", Path: rolesPath}
		}
		uri, err := WithPassword(*existing.ConnectionURI, o.Password)
		if err != nil {
			return nil, err
		}
		return &ConnectionInfo{URI: uri, Role: o.Role, Password: o.Password, DatabaseID: found.ID}, nil
	}
	if existing != nil && !o.Reset {
		return nil, &APIError{Status: 409, Code: "role_exists", Field: "role", Method: "GET", Path: rolesPath,
			Message: fmt.Sprintf("role %q of database %s exists and its password is shown only when it is created or reset: "+
				"pass Password, or Reset to give it a new one", o.Role, found.Name)}
	}
	var answer *RoleWithPassword
	if existing != nil {
		answer, err = c.ResetRolePassword(ctx, found.ID, o.Role)
	} else {
		answer, err = c.CreateRole(ctx, found.ID, o.Role)
	}
	if err != nil {
		return nil, err
	}
	return &ConnectionInfo{URI: answer.ConnectionURI, Role: o.Role, Password: answer.Password, DatabaseID: found.ID,
		Created: existing == nil}, nil
}

// Connect opens a *shale.DB (the SDK's pool, retries and tenant handles) on the
// database named database, as the role of o (see ConnectionURI).
func (c *Client) Connect(ctx context.Context, database string, o ConnectOptions, options ...shale.Option) (*shale.DB, error) {
	info, err := c.ConnectionURI(ctx, database, o)
	if err != nil {
		return nil, err
	}
	return shale.Open(ctx, info.URI, options...)
}

// Connect is New(SHALE_API_URL, SHALE_TOKEN) then Client.Connect.
func Connect(ctx context.Context, database string, o ConnectOptions, options ...shale.Option) (*shale.DB, error) {
	client, err := New("", "")
	if err != nil {
		return nil, err
	}
	return client.Connect(ctx, database, o, options...)
}
