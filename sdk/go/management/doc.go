// Package management is the client for the control plane's /v1 API (shale serve):
// databases, branches, deploy requests, roles, backups and restore points,
// operations with a wait helper, insights and the CA certificate. Errors are
// *APIError ({code, message, field} and the HTTP status).
//
//	api, _ := management.New("", "") // SHALE_API_URL, SHALE_TOKEN
//	created, _ := api.CreateDatabase(ctx, "shop", management.CreateDatabaseOptions{})
//	_, _ = api.WaitOperation(ctx, created.Operation.ID, 5*time.Minute, 0)
//	db, _ := api.Connect(ctx, "shop", management.ConnectOptions{}) // creates role "app"
package management
