// hooks.ts — data loading for screens: a GET that reloads every few seconds
// (live screens without a page reload), keeping the last good answer and the
// last error side by side.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, asApiError, get } from "./api";

export type Loaded<T> = { data: T | null; error: ApiError | null; loading: boolean; reload: () => void };

export function usePoll<T>(path: string | null, intervalMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;
  const reload = useCallback(() => setTick((value) => value + 1), []);

  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let timer: number | undefined;
    const load = async () => {
      try {
        const answer = await get<T>(path);
        if (stopped) return;
        setData(answer);
        setError(null);
      } catch (failure) {
        if (!stopped) setError(asApiError(failure));
      } finally {
        if (!stopped) setLoading(false);
        if (!stopped && intervalMs > 0) timer = window.setTimeout(load, intervalMs);
      }
    };
    setLoading(true);
    load();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [path, intervalMs, tick]);

  return { data, error, loading, reload };
}

export type Action = {
  error: ApiError | null;
  notice: string;
  // run calls what; on success shows done and calls after (reloads), else keeps the error
  run: (what: () => Promise<unknown>, done: string) => Promise<void>;
};

// useAction runs the user's changes of a screen: one error and one notice at a time.
export function useAction(after: () => void): Action {
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");
  const run = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setNotice("");
    try {
      await what();
      setNotice(done);
      after();
    } catch (failure) {
      setError(asApiError(failure));
    }
  };
  return { error, notice, run };
}
