"""The retry rules of Database.transaction, as pure functions.

The same rules hold in the Go and Node.js SDKs (docs/sdks.md, "Retry rules"):

- retried: 40001, 40P01, 08xxx and a lost socket, 57P01-57P03, 25006, and any
  FATAL or PANIC (the server ended the session);
- a COMMIT that got no answer (the socket broke, or a FATAL came) may have
  committed: never retried unless the function is marked idempotent. A COMMIT
  answered with an ERROR did not commit, and follows the rule above;
- backoff: retry n waits between half and all of min(max_delay, base_delay * 2**(n-1));
- bound: at most max_attempts runs of the function.
"""
from __future__ import annotations

import random as _random
from dataclasses import dataclass
from typing import Callable

from .errors import CONNECTION, DEADLOCK, READ_ONLY, SERIALIZATION, ShaleError, to_shale_error

BODY = "body"
COMMIT = "commit"

GIVE_UP = "give_up"
RETRY = "retry"
COMMIT_UNKNOWN = "commit_unknown"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds the retries of Database.transaction."""

    max_attempts: int = 10  #: runs of the function, the first included
    base_delay: float = 0.1  #: seconds before the first retry
    max_delay: float = 2.0  #: longest wait between two attempts, in seconds


#: Covers a failover (0.8-1.8 s from kill -9 to the next write) several times over.
DEFAULT_RETRY_POLICY = RetryPolicy()


def decide_after_failure(phase: str, error: BaseException, idempotent: bool) -> str:
    """Applies the retry rules to one failed attempt."""
    converted = to_shale_error(error)
    if not isinstance(converted, ShaleError):
        return GIVE_UP
    outcome_unknown = not converted.from_server or converted.severity != "ERROR"
    if phase == COMMIT and outcome_unknown and not idempotent:
        return COMMIT_UNKNOWN
    if converted.kind in (SERIALIZATION, DEADLOCK, CONNECTION, READ_ONLY):
        return RETRY
    if converted.severity in ("FATAL", "PANIC"):  # the server ended the session: a lost connection by another name
        return RETRY
    return GIVE_UP


def backoff_delay(policy: RetryPolicy, n: int, random: Callable[[], float] = _random.random) -> float:
    """The wait in seconds before retry number n (n >= 1)."""
    delay: float = min(policy.max_delay, policy.base_delay * 2.0 ** (n - 1))
    return delay / 2 + random() * delay / 2
