// api.ts — the portal's only way to the server: the public /v1 API of shale serve.
// The sign-in cookie travels by itself (same origin); every change carries the
// session's CSRF token in X-CSRF-Token. Errors become ApiError with the API's
// code, message and field.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let csrfToken = "";
let onSessionEnded: () => void = () => {};

// setSessionEndedHandler is called when a signed-in request gets a 401 (the
// session expired or was ended elsewhere): the app shows the sign-in again.
export function setSessionEndedHandler(handler: () => void) {
  onSessionEnded = handler;
}

// setCsrfToken keeps the token from the sign-in answer (in memory only).
export function setCsrfToken(token: string) {
  csrfToken = token;
}

// call sends one request; the body is JSON. Throws ApiError for any non-2xx
// answer, and for a network failure (status 0).
export async function call<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
  const sent: Record<string, string> = { ...(headers ?? {}) };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) sent["X-CSRF-Token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "unreachable", "shale serve does not answer");
  }
  const text = await response.text();
  let document: unknown = null;
  try {
    document = text ? JSON.parse(text) : null;
  } catch {
    document = null;
  }
  if (!response.ok) {
    const error = (document ?? {}) as { code?: string; message?: string; field?: string };
    const retry = response.headers.get("Retry-After");
    if (response.status === 401 && error.code === "unauthorized" && csrfToken) onSessionEnded();
    throw new ApiError(
      response.status,
      error.code ?? "http_" + response.status,
      (error.message ?? `the server answered ${response.status}`) + (retry && response.status === 429 ? ` (retry in ${retry} s)` : ""),
      error.field,
    );
  }
  return document as T;
}

export const get = <T>(path: string) => call<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}, headers?: Record<string, string>) => call<T>("POST", path, body, headers);
export const patch = <T>(path: string, body: unknown) => call<T>("PATCH", path, body);
export const del = <T>(path: string) => call<T>("DELETE", path);

// whatToDo says in words what the user can do about an error.
export function whatToDo(error: ApiError): string {
  switch (error.status) {
    case 0:
      return "Check that shale serve is running, then retry.";
    case 401:
      return error.code === "invalid_credentials" ? "Check what you typed and sign in again." : "Sign in again.";
    case 403:
      if (error.code === "plan_limit") return "Delete a database you no longer need, or choose a larger plan.";
      if (error.code === "csrf_failed") return "Reload the page and retry.";
      return "Ask an admin of your organization for a role that allows this.";
    case 404:
      return "It may have been deleted; go back to the list.";
    case 409:
      return "Wait until the current operation ends, or pick another name, then retry.";
    case 422:
      return error.field ? `Correct the field "${error.field}" and retry.` : "Correct the input and retry.";
    case 429:
      return "Wait a little, then retry.";
    case 503:
      return "The database or its cluster is not answering right now; it usually recovers by itself within seconds. Retry shortly.";
    default:
      return "Retry; if it keeps failing, look at shale serve's log.";
  }
}

export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(-1, "client_error", error instanceof Error ? error.message : String(error));
}

// An idempotency key per user action, so a retried click creates nothing twice.
export function idempotencyKey(): Record<string, string> {
  return { "Idempotency-Key": crypto.randomUUID() };
}
