package management

// errors.go — what the management client returns as errors: APIError for an
// error answer of the API (or an unreachable API), OperationFailedError and
// OperationTimeoutError from WaitOperation.

import "fmt"

// APIError is an error answer of the /v1 API: {code, message, field} and the
// HTTP status. Status 0 with Code "unreachable" means no answer came.
type APIError struct {
	Status     int
	Code       string
	Message    string
	Field      string // the request field it names, or ""
	Method     string
	Path       string
	RetryAfter float64 // seconds, from Retry-After (429, 503), or 0
}

func (e *APIError) Error() string {
	text := fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
	if e.Field != "" {
		text += " (field " + e.Field + ")"
	}
	return text
}

// OperationFailedError: an operation ended in state failed.
type OperationFailedError struct{ Operation *Operation }

func (e *OperationFailedError) Error() string {
	message := ""
	if e.Operation.Error != nil {
		message = *e.Operation.Error
	}
	return fmt.Sprintf("operation %s (%s) failed: %s", e.Operation.ID, e.Operation.Kind, message)
}

// OperationTimeoutError: an operation did not end within the wait's timeout.
type OperationTimeoutError struct {
	Operation *Operation
	Timeout   float64 // seconds
}

func (e *OperationTimeoutError) Error() string {
	return fmt.Sprintf("operation %s (%s) still %s at %d %% after %g s", e.Operation.ID, e.Operation.Kind,
		e.Operation.State, e.Operation.Progress, e.Timeout)
}
