package management

// transport.go — Client and one HTTP exchange with the /v1 API: the bearer
// token, JSON both ways, error answers as *APIError. A 429 or 503 (with
// Retry-After) and a refused connection are tried again a few times; a POST
// keeps its Idempotency-Key across the tries, so a retry makes nothing twice.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Client calls the /v1 API of one shale serve with one token.
type Client struct {
	BaseURL  string // without /v1
	Token    string
	HTTP     *http.Client
	Attempts int // tries for 429, 503 and refused connections (default 4)
}

// New makes a Client. An empty baseURL or token is taken from SHALE_API_URL
// or SHALE_TOKEN; the address may end in /v1 or not.
func New(baseURL, token string) (*Client, error) {
	if baseURL == "" {
		baseURL = os.Getenv("SHALE_API_URL")
	}
	if token == "" {
		token = os.Getenv("SHALE_TOKEN")
	}
	if baseURL == "" {
		return nil, errors.New("management: no API address: pass one or set SHALE_API_URL (shale serve prints it)")
	}
	if token == "" {
		return nil, errors.New("management: no API token: pass one or set SHALE_TOKEN")
	}
	baseURL = strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
	return &Client{BaseURL: baseURL, Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}, Attempts: 4}, nil
}

// Params are path parameters, query parameters or body fields by name.
type Params map[string]any

// call sends the request of one Endpoints row and decodes the answer into out
// (nil: ignore it). It refuses, before sending, query parameters or body fields
// the row does not list; nil values are left out.
func (c *Client) call(ctx context.Context, name string, path Params, query Params, body Params, out any) error {
	row, ok := Endpoints[name]
	if !ok {
		return fmt.Errorf("management: no endpoint %s", name)
	}
	target := row.Path
	for key, value := range path {
		target = strings.ReplaceAll(target, "{"+key+"}", url.PathEscape(fmt.Sprint(value)))
	}
	if strings.Contains(target, "{") {
		return fmt.Errorf("management: %s: missing path parameter in %s", name, target)
	}
	values := url.Values{}
	for key, value := range query {
		if value == nil {
			continue
		}
		if !contains(row.Query, key) {
			return fmt.Errorf("management: %s: unknown query parameter %s", name, key)
		}
		values.Set(key, fmt.Sprint(value))
	}
	if len(values) > 0 {
		target += "?" + values.Encode()
	}
	var payload []byte
	if row.Body {
		fields := map[string]any{}
		for key, value := range body {
			if value == nil {
				continue
			}
			if !contains(row.Required, key) && !contains(row.Optional, key) {
				return fmt.Errorf("management: %s: unknown field %s", name, key)
			}
			fields[key] = value
		}
		payload, _ = json.Marshal(fields)
	}
	headers := map[string]string{}
	if row.Method == "POST" {
		headers["Idempotency-Key"] = randomKey()
	}
	return c.exchange(ctx, row.Method, target, payload, headers, out)
}

func (c *Client) exchange(ctx context.Context, method, target string, payload []byte, headers map[string]string, out any) error {
	attempts := c.Attempts
	if attempts < 1 {
		attempts = 1
	}
	var last *APIError
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			wait := 200 * time.Millisecond << attempt
			if last.RetryAfter > 0 {
				wait = time.Duration(last.RetryAfter * float64(time.Second))
			}
			if wait > 5*time.Second {
				wait = 5 * time.Second
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		var reader io.Reader
		if payload != nil {
			reader = bytes.NewReader(payload)
		}
		request, err := http.NewRequestWithContext(ctx, method, c.BaseURL+target, reader)
		if err != nil {
			return err
		}
		request.Header.Set("Authorization", "Bearer "+c.Token)
		request.Header.Set("Accept", "application/json")
		if payload != nil {
			request.Header.Set("Content-Type", "application/json")
		}
		for key, value := range headers {
			request.Header.Set(key, value)
		}
		response, err := c.HTTP.Do(request)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			last = &APIError{Code: "unreachable", Message: fmt.Sprintf("cannot reach the API at %s: %v", c.BaseURL, err),
				Method: method, Path: target}
			continue
		}
		raw, err := io.ReadAll(response.Body)
		response.Body.Close()
		if err != nil {
			return err
		}
		if response.StatusCode < 300 {
			if out == nil || len(bytes.TrimSpace(raw)) == 0 {
				return nil
			}
			return json.Unmarshal(raw, out)
		}
		last = errorOf(response, raw, method, target)
		if response.StatusCode != 429 && response.StatusCode != 503 {
			return last
		}
	}
	return last
}

func errorOf(response *http.Response, raw []byte, method, target string) *APIError {
	answer := struct{ Code, Message, Field string }{}
	e := &APIError{Status: response.StatusCode, Method: method, Path: target}
	if after, err := strconv.ParseFloat(response.Header.Get("Retry-After"), 64); err == nil {
		e.RetryAfter = after
	}
	if json.Unmarshal(raw, &answer) == nil && answer.Code != "" {
		e.Code, e.Message, e.Field = answer.Code, answer.Message, answer.Field
		return e
	}
	e.Code, e.Message = "http_error", strings.TrimSpace(string(raw))
	if e.Message == "" {
		e.Message = response.Status
	}
	return e
}

func contains(list []string, item string) bool {
	for _, x := range list {
		if x == item {
			return true
		}
	}
	return false
}

func randomKey() string {
	buffer := make([]byte, 16)
	_, _ = rand.Read(buffer)
	return hex.EncodeToString(buffer)
}

// sortedNames is for messages and tests: the Endpoints names in order.
func sortedNames() []string {
	names := make([]string, 0, len(Endpoints))
	for name := range Endpoints {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
