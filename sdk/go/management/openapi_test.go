package management

// openapi_test.go — the client against docs/control-plane-openapi.json, no
// server: every row of Endpoints (the only requests the client sends) must be
// an operation of the file with the same path, query and header parameters and
// the same request body fields; and every method of Client is one row.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"testing"
)

type openAPIParameter struct {
	Name string `json:"name"`
	In   string `json:"in"`
}

type openAPIOperation struct {
	Parameters  []openAPIParameter `json:"parameters"`
	RequestBody *struct {
		Required bool `json:"required"`
		Content  map[string]struct {
			Schema struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

func loadOpenAPI(t *testing.T) map[string]map[string]json.RawMessage {
	file := os.Getenv("SHALE_OPENAPI")
	if file == "" {
		file = filepath.Join("..", "..", "..", "docs", "control-plane-openapi.json")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the OpenAPI file: %v", err)
	}
	var document struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &document); err != nil {
		t.Fatal(err)
	}
	return document.Paths
}

func set(items []string) []string {
	out := append([]string{}, items...)
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestEveryEndpointIsInTheOpenAPIFile(t *testing.T) {
	paths := loadOpenAPI(t)
	for _, name := range sortedNames() {
		row := Endpoints[name]
		t.Run(name, func(t *testing.T) {
			item, ok := paths[row.Path]
			if !ok {
				t.Fatalf("%s is not a path of the OpenAPI file", row.Path)
			}
			raw, ok := item[map[string]string{"GET": "get", "POST": "post", "PATCH": "patch", "DELETE": "delete"}[row.Method]]
			if !ok {
				t.Fatalf("%s %s is not in the OpenAPI file", row.Method, row.Path)
			}
			var operation openAPIOperation
			if err := json.Unmarshal(raw, &operation); err != nil {
				t.Fatal(err)
			}
			if shared, ok := item["parameters"]; ok {
				var more []openAPIParameter
				_ = json.Unmarshal(shared, &more)
				operation.Parameters = append(operation.Parameters, more...)
			}
			byPlace := map[string][]string{}
			for _, p := range operation.Parameters {
				byPlace[p.In] = append(byPlace[p.In], p.Name)
			}
			var pathParams []string
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(row.Path, -1) {
				pathParams = append(pathParams, m[1])
			}
			var headers []string
			if row.Method == "POST" {
				headers = []string{"Idempotency-Key"}
			}
			check := func(what string, client, file []string) {
				if !reflect.DeepEqual(set(client), set(file)) {
					t.Errorf("%s: the client has %v, the file %v", what, set(client), set(file))
				}
			}
			check("path parameters", pathParams, byPlace["path"])
			check("query parameters", row.Query, byPlace["query"])
			check("header parameters", headers, byPlace["header"])
			if operation.RequestBody == nil {
				if row.Body || len(row.Required)+len(row.Optional) > 0 {
					t.Errorf("the file has no request body")
				}
				return
			}
			if operation.RequestBody.Required && !row.Body {
				t.Errorf("the file requires a request body")
			}
			schema := operation.RequestBody.Content["application/json"].Schema
			var fields []string
			for field := range schema.Properties {
				fields = append(fields, field)
			}
			check("body fields", append(append([]string{}, row.Required...), row.Optional...), fields)
			check("required body fields", row.Required, schema.Required)
		})
	}
}

func TestEveryClientMethodIsARow(t *testing.T) {
	helpers := map[string]bool{"WaitOperation": true, "FindDatabase": true, "ConnectionURI": true, "Connect": true}
	kind := reflect.TypeOf(&Client{})
	var methods []string
	for i := 0; i < kind.NumMethod(); i++ {
		if name := kind.Method(i).Name; !helpers[name] {
			methods = append(methods, name)
		}
	}
	if !reflect.DeepEqual(set(methods), sortedNames()) {
		t.Fatalf("methods %v, rows %v", set(methods), sortedNames())
	}
}

func TestAddressAndTokenFromArgumentsOrEnvironment(t *testing.T) {
	t.Setenv("SHALE_API_URL", "")
	t.Setenv("SHALE_TOKEN", "")
	if _, err := New("", ""); err == nil {
		t.Fatal("no address: no error")
	}
	if _, err := New("http://127.0.0.1:1", ""); err == nil {
		t.Fatal("no token: no error")
	}
	t.Setenv("SHALE_API_URL", "http://127.0.0.1:1/v1/")
	t.Setenv("SHALE_TOKEN", "shl_x")
	client, err := New("", "")
	if err != nil || client.BaseURL != "http://127.0.0.1:1" {
		t.Fatalf("%v %v", client, err)
	}
}

func TestUnknownFieldsAreRefusedAndUnreachableIsAnAPIError(t *testing.T) {
	client, _ := New("http://127.0.0.1:1", "shl_x")
	client.Attempts = 1
	err := client.call(context.Background(), "CreateRole", Params{"id": "db_1"}, nil, Params{"name": "a", "superuser": true}, nil)
	if err == nil || !regexp.MustCompile("unknown field superuser").MatchString(err.Error()) {
		t.Fatalf("got %v", err)
	}
	_, err = client.ListDatabases(context.Background(), false)
	var apiError *APIError
	if !errors.As(err, &apiError) || apiError.Status != 0 || apiError.Code != "unreachable" {
		t.Fatalf("got %v", err)
	}
}

func TestWithPassword(t *testing.T) {
	uri, err := WithPassword("postgres://app@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write", "p/w@x")
	want := "postgres://app:p%2Fw%40x@127.0.0.1:1,127.0.0.1:2/postgres?target_session_attrs=read-write"
	if err != nil || uri != want {
		t.Fatalf("%s %v", uri, err)
	}
}
