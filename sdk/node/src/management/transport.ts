// transport.ts — one HTTP exchange with the /v1 API (Node's fetch): the bearer
// token, JSON both ways, error answers as ApiError. A 429 or 503 (with
// Retry-After) and a refused connection are tried again a few times; a POST
// keeps its Idempotency-Key across the tries, so a retry makes nothing twice.
import { ApiError } from "./errors";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function errorOf(response: Response, method: string, path: string): Promise<ApiError> {
  const text = await response.text();
  const after = Number(response.headers.get("retry-after"));
  const retryAfter = Number.isFinite(after) && after > 0 ? after : undefined;
  try {
    const answer = JSON.parse(text);
    if (answer && typeof answer.code === "string") {
      return new ApiError(response.status, answer.code, String(answer.message ?? ""), answer.field ?? undefined, method, path, retryAfter);
    }
  } catch {
    // not JSON: reported as http_error below
  }
  return new ApiError(response.status, "http_error", text.slice(0, 200) || `HTTP ${response.status}`, undefined, method, path, retryAfter);
}

export interface ExchangeOptions {
  timeoutMs: number;
  attempts: number;
}

/** Sends one request and returns the decoded JSON answer (undefined for 204). */
export async function exchange(baseUrl: string, token: string, method: string, path: string,
  body: unknown, headers: Record<string, string>, options: ExchangeOptions): Promise<any> {
  const sent: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  let last: ApiError | undefined;
  for (let attempt = 0; attempt < Math.max(1, options.attempts); attempt++) {
    if (attempt > 0) await sleep(Math.min(5000, last?.retryAfter ? last.retryAfter * 1000 : 200 * 2 ** attempt));
    let response: Response;
    try {
      response = await fetch(baseUrl + path, {
        method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      last = new ApiError(0, "unreachable", `cannot reach the API at ${baseUrl}: ${cause}`, undefined, method, path);
      continue;
    }
    if (response.ok) {
      const text = await response.text();
      return text.trim() ? JSON.parse(text) : undefined;
    }
    last = await errorOf(response, method, path);
    if (response.status !== 429 && response.status !== 503) throw last;
  }
  throw last;
}
