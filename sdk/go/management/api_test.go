package management

// api_test.go — the client against a real `shale serve`: SHALE_TEST_API_URL and
// SHALE_TEST_TOKEN (test/e2e/sdk_management.sh starts one and sets them);
// without them the test is skipped. One database is made, branched, given a
// deploy request, a restore point and roles, and deleted, through the client.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shale-db/shale/sdk/go/shale"
)

func liveClient(t *testing.T) *Client {
	url, token := os.Getenv("SHALE_TEST_API_URL"), os.Getenv("SHALE_TEST_TOKEN")
	if url == "" || token == "" {
		t.Skip("SHALE_TEST_API_URL / SHALE_TEST_TOKEN are not set")
	}
	client, err := New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// must(f())(t) is f's value, or the test's end with f's error.
func must[T any](value T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return value
	}
}

func apiError(t *testing.T, err error, status int, code string) *APIError {
	t.Helper()
	var e *APIError
	if !errors.As(err, &e) || e.Status != status || (code != "" && e.Code != code) {
		t.Fatalf("want APIError %d %s, got %v", status, code, err)
	}
	return e
}

func TestAgainstShaleServe(t *testing.T) {
	api := liveClient(t)
	ctx := context.Background()
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "go-" + hex.EncodeToString(suffix)
	zero := 0
	created := must(api.CreateDatabase(ctx, name, CreateDatabaseOptions{Plan: "growth", WorkerGroups: 1, Replicas: &zero}))(t)
	id := created.Database.ID
	if created.Database.State != "creating" {
		t.Fatalf("state %s", created.Database.State)
	}
	if op := must(api.WaitOperation(ctx, created.Operation.ID, 3*time.Minute, 0))(t); op.Progress != 100 {
		t.Fatalf("progress %d", op.Progress)
	}
	defer func() {
		deleted := must(api.DeleteDatabase(ctx, id))(t)
		must(api.WaitOperation(ctx, deleted.Operation.ID, 2*time.Minute, 0))(t)
		if got := must(api.GetDatabase(ctx, id))(t); got.State != "deleted" {
			t.Errorf("after delete: %s", got.State)
		}
	}()

	t.Run("get list update", func(t *testing.T) {
		if got := must(api.GetDatabase(ctx, id))(t); got.State != "ready" || got.WorkerGroups != 1 {
			t.Fatalf("%+v", got)
		}
		found := must(api.FindDatabase(ctx, name))(t)
		if found.ID != id {
			t.Fatalf("found %s", found.ID)
		}
		changed := must(api.UpdateDatabase(ctx, id, "", map[string]any{"description": "go sdk test"}))(t)
		if changed.Settings["description"] != "go sdk test" {
			t.Fatalf("%v", changed.Settings)
		}
	})

	t.Run("connect by name", func(t *testing.T) {
		db := must(api.Connect(ctx, name, ConnectOptions{Role: "go_app"}))(t)
		var user string
		if err := db.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil || user != "go_app" {
			t.Fatalf("%s %v", user, err)
		}
		db.Close()
		_, err := api.Connect(ctx, name, ConnectOptions{Role: "go_app"})
		apiError(t, err, 409, "role_exists")
		info := must(api.ConnectionURI(ctx, id, ConnectOptions{Role: "go_app", Reset: true}))(t)
		db = must(api.Connect(ctx, name, ConnectOptions{Role: "go_app", Password: info.Password}))(t)
		db.Close()
		_, err = api.Connect(ctx, "no-such-database", ConnectOptions{})
		apiError(t, err, 404, "not_found")
	})

	t.Run("roles", func(t *testing.T) {
		role := must(api.CreateRole(ctx, id, "go_role"))(t)
		reset := must(api.ResetRolePassword(ctx, id, "go_role"))(t)
		if reset.Password == role.Password || !strings.Contains(reset.ConnectionURI, reset.Password) {
			t.Fatal("reset kept the password")
		}
		if _, err := shale.Open(ctx, role.ConnectionURI); err == nil {
			t.Fatal("the old password still works")
		}
		if err := api.DeleteRole(ctx, id, "go_role"); err != nil {
			t.Fatal(err)
		}
		for _, r := range must(api.ListRoles(ctx, id))(t) {
			if r.Name == "go_role" {
				t.Fatal("deleted role listed")
			}
		}
		apiError(t, api.DeleteRole(ctx, id, "go_role"), 404, "")
	})

	t.Run("branch and deploy request", func(t *testing.T) {
		dev := name + "-dev"
		branch := must(api.CreateBranch(ctx, id, dev, "", 0))(t)
		must(api.WaitOperation(ctx, branch.Operation.ID, 3*time.Minute, 0))(t)
		if got := must(api.GetBranch(ctx, id, dev))(t); got.State != "ready" || got.ParentID == nil || *got.ParentID != id {
			t.Fatalf("%+v", got)
		}
		db := must(api.Connect(ctx, dev, ConnectOptions{Role: "go_dev"}))(t)
		must(db.Exec(ctx, "CREATE TABLE go_notes (id bigint PRIMARY KEY, body text)"))(t)
		db.Close()
		request := must(api.CreateDeployRequest(ctx, id, dev, false))(t)
		if request.Operation != nil || request.DeployRequest.DDL == nil || !strings.Contains(*request.DeployRequest.DDL, "go_notes") {
			t.Fatalf("%+v", request.DeployRequest)
		}
		if list := must(api.ListDeployRequests(ctx, id))(t); len(list) != 1 || list[0].ID != request.DeployRequest.ID {
			t.Fatalf("%+v", list)
		}
		closed := must(api.CloseDeployRequest(ctx, id, request.DeployRequest.ID))(t)
		if closed.State != "closed" {
			t.Fatalf("state %s", closed.State)
		}
		if got := must(api.GetDeployRequest(ctx, id, "1"))(t); got.State != "closed" {
			t.Fatalf("state %s", got.State)
		}
		if branches := must(api.ListBranches(ctx, id))(t); len(branches) != 1 || branches[0].Name != dev {
			t.Fatalf("%+v", branches)
		}
		deleted := must(api.DeleteBranch(ctx, id, dev))(t)
		must(api.WaitOperation(ctx, deleted.Operation.ID, 2*time.Minute, 0))(t)
	})

	t.Run("restore point, operations, a failed and a timed-out wait", func(t *testing.T) {
		point := must(api.CreateRestorePoint(ctx, id, "go-point"))(t)
		must(api.WaitOperation(ctx, point.ID, 2*time.Minute, 0))(t)
		must(api.ListBackups(ctx, id))(t)
		kinds := map[string]bool{}
		for _, op := range must(api.ListOperations(ctx, id, 50))(t) {
			kinds[op.Kind] = true
		}
		if !kinds["create"] || !kinds["restore_point"] {
			t.Fatalf("%v", kinds)
		}
		restore := must(api.Restore(ctx, id, name+"-restored", "go-no-such-point", &zero))(t)
		_, err := api.WaitOperation(ctx, restore.Operation.ID, 0, 0)
		var timeout *OperationTimeoutError
		if !errors.As(err, &timeout) {
			t.Fatalf("want a timeout, got %v", err)
		}
		_, err = api.WaitOperation(ctx, restore.Operation.ID, 2*time.Minute, 0)
		var failed *OperationFailedError
		if !errors.As(err, &failed) || failed.Operation.Kind != "restore" {
			t.Fatalf("want a failed restore, got %v", err)
		}
	})

	t.Run("insights, CA certificate, errors", func(t *testing.T) {
		must(api.GetInsights(ctx, id, "15m", 5))(t)
		ca := must(api.GetCACertificate(ctx))(t)
		if !strings.HasPrefix(ca.CACertificate, "-----BEGIN CERTIFICATE-----") {
			t.Fatal(ca.CACertificate)
		}
		_, err := api.GetDatabase(ctx, "db_0000000000000000")
		apiError(t, err, 404, "not_found")
		_, err = api.CreateDatabase(ctx, "Bad Name!", CreateDatabaseOptions{})
		if e := apiError(t, err, 422, ""); e.Field != "name" {
			t.Fatalf("field %q", e.Field)
		}
		wrong, _ := New(api.BaseURL, "shl_"+strings.Repeat("0", 64))
		_, err = wrong.ListDatabases(ctx, false)
		apiError(t, err, 401, "unauthorized")
	})
}
