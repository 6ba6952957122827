"""transport.py — one HTTP exchange with the /v1 API (urllib, no dependency).

Sends the bearer token and JSON, decodes the answer, turns an error answer into
ApiError. A 429 or 503 (which carry Retry-After) and a refused connection are
tried again a few times; a POST keeps its Idempotency-Key across the tries, so a
retry never makes a second object.
"""
import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Optional

from .errors import ApiError

RETRIED_STATUSES = (429, 503)


def _error_of(status: int, body: bytes, method: str, path: str, retry_after: Optional[str]) -> ApiError:
    try:
        answer = json.loads(body.decode("utf-8"))
    except ValueError:
        answer = None
    after = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
    if isinstance(answer, dict) and isinstance(answer.get("code"), str):
        return ApiError(status, answer["code"], str(answer.get("message", "")), answer.get("field"),
                        method, path, after)
    return ApiError(status, "http_error", body.decode("utf-8", "replace")[:200] or f"HTTP {status}",
                    None, method, path, after)


def exchange(base_url: str, token: str, method: str, path: str, body: Optional[Dict[str, Any]],
             headers: Dict[str, str], timeout: float, attempts: int) -> Any:
    """Sends one request (retrying 429, 503 and refused connections up to
    attempts times) and returns the decoded JSON answer, or None for 204."""
    data = json.dumps(body).encode("utf-8") if body is not None else None
    sent = {"Authorization": f"Bearer {token}", "Accept": "application/json", **headers}
    if data is not None:
        sent["Content-Type"] = "application/json"
    last: Optional[ApiError] = None
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(5.0, last.retry_after if last and last.retry_after else 0.2 * 2 ** attempt))
        request = urllib.request.Request(base_url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return json.loads(raw.decode("utf-8")) if raw.strip() else None
        except urllib.error.HTTPError as error:
            last = _error_of(error.code, error.read(), method, path, error.headers.get("Retry-After"))
            if error.code not in RETRIED_STATUSES:
                raise last from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            last = ApiError(0, "unreachable", f"cannot reach the API at {base_url}: {reason}", None, method, path)
    assert last is not None
    raise last
