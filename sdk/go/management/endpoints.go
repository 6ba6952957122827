package management

// endpoints.go — every /v1 call the client makes, as data. The client sends
// requests only through this table (Client.call), and openapi_test.go checks
// each row against docs/control-plane-openapi.json (path, method, path, query
// and header parameters, request body fields), so the client cannot drift
// from the contract without a test failing.

// Endpoint is one operation of the /v1 API.
type Endpoint struct {
	Method   string
	Path     string   // an OpenAPI path template: /v1/databases/{id}
	Query    []string // query parameters the client may send
	Required []string // request body fields the API requires
	Optional []string // request body fields it also takes
	Body     bool     // sends a JSON body
}

const dbPath = "/v1/databases/{id}"

func post(path string, required, optional []string, body bool) Endpoint {
	return Endpoint{Method: "POST", Path: path, Required: required, Optional: optional, Body: body}
}

// Endpoints lists the rows by the name of the client method that sends them.
var Endpoints = map[string]Endpoint{
	"ListDatabases":       {Method: "GET", Path: "/v1/databases", Query: []string{"include_deleted"}},
	"CreateDatabase":      post("/v1/databases", []string{"name"}, []string{"template", "plan", "worker_groups", "replicas", "settings"}, true),
	"GetDatabase":         {Method: "GET", Path: dbPath},
	"UpdateDatabase":      {Method: "PATCH", Path: dbPath, Optional: []string{"plan", "settings"}, Body: true},
	"DeleteDatabase":      {Method: "DELETE", Path: dbPath},
	"UndeleteDatabase":    post(dbPath+"/undelete", nil, nil, false),
	"ListBranches":        {Method: "GET", Path: dbPath + "/branches"},
	"CreateBranch":        post(dbPath+"/branches", []string{"name"}, []string{"data", "ttl_seconds"}, true),
	"GetBranch":           {Method: "GET", Path: dbPath + "/branches/{branch}"},
	"DeleteBranch":        {Method: "DELETE", Path: dbPath + "/branches/{branch}"},
	"ResetBranch":         post(dbPath+"/branches/{branch}/reset", nil, nil, true),
	"ListDeployRequests":  {Method: "GET", Path: dbPath + "/deploy-requests"},
	"CreateDeployRequest": post(dbPath+"/deploy-requests", []string{"branch"}, []string{"auto_apply"}, true),
	"GetDeployRequest":    {Method: "GET", Path: dbPath + "/deploy-requests/{request}"},
	"Deploy":              post(dbPath+"/deploy-requests/{request}/deploy", nil, nil, true),
	"Revert":              post(dbPath+"/deploy-requests/{request}/revert", nil, nil, true),
	"CloseDeployRequest":  post(dbPath+"/deploy-requests/{request}/close", nil, nil, true),
	"ListRoles":           {Method: "GET", Path: dbPath + "/roles"},
	"CreateRole":          post(dbPath+"/roles", []string{"name"}, nil, true),
	"ResetRolePassword":   post(dbPath+"/roles/{name}/reset-password", nil, nil, false),
	"DeleteRole":          {Method: "DELETE", Path: dbPath + "/roles/{name}"},
	"ListBackups":         {Method: "GET", Path: dbPath + "/backups"},
	"CreateBackup":        post(dbPath+"/backups", nil, []string{"kind"}, true),
	"CreateRestorePoint":  post(dbPath+"/restore-points", nil, []string{"name"}, true),
	"Restore":             post(dbPath+"/restore", []string{"name", "to"}, []string{"replicas"}, true),
	"ListTables":          {Method: "GET", Path: dbPath + "/tables"},
	"DistributeTable":     post(dbPath+"/tables/{name}/distribute", []string{"column"}, []string{"shard_count", "colocate_with"}, true),
	"MakeReferenceTable":  post(dbPath+"/tables/{name}/make-reference", nil, nil, true),
	"ListOperations":      {Method: "GET", Path: "/v1/operations", Query: []string{"limit", "database_id"}},
	"GetOperation":        {Method: "GET", Path: "/v1/operations/{id}"},
	"GetInsights":         {Method: "GET", Path: dbPath + "/insights", Query: []string{"window", "limit"}},
	"GetCACertificate":    {Method: "GET", Path: "/v1/ca-certificate"},
}
