// App.tsx — signs the user in (or offers to create the first admin), then
// shows the layout and the screen of the current path.
import { useCallback, useEffect, useState } from "react";
import { ApiError, asApiError, del, get, setCsrfToken, setSessionEndedHandler } from "./api";
import { SessionContext } from "./session";
import type { SignedIn } from "./types";
import { SignInScreen } from "./screens/SignIn";
import { Layout } from "./components/Layout";
import { Routes } from "./Routes";
import { ErrorNote } from "./components/ui";
import { navigate } from "./router";

type Phase = { kind: "loading" } | { kind: "signed-out"; adminExists: boolean } | { kind: "signed-in"; signed: SignedIn } | { kind: "error"; error: ApiError };

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });

  const refresh = useCallback(async () => {
    try {
      // GET /v1/setup answers without a 401 whether this browser is signed in
      const setup = await get<{ admin_exists: boolean; signed_in: boolean }>("/v1/setup");
      if (!setup.signed_in) {
        setPhase({ kind: "signed-out", adminExists: setup.admin_exists });
        return;
      }
      const signed = await get<SignedIn>("/v1/session");
      setCsrfToken(signed.csrf_token);
      setPhase({ kind: "signed-in", signed });
    } catch (failure) {
      const error = asApiError(failure);
      if (error.status === 401) setPhase({ kind: "signed-out", adminExists: true });
      else setPhase({ kind: "error", error });
    }
  }, []);

  useEffect(() => {
    setSessionEndedHandler(() => {
      setCsrfToken("");
      refresh();
    });
    refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    try {
      await del("/v1/session");
    } catch {
      // the session may be gone already; signed out either way
    }
    setCsrfToken("");
    navigate("/");
    refresh();
  }, [refresh]);

  if (phase.kind === "loading") return <main className="center" aria-busy="true">Loading…</main>;
  if (phase.kind === "error")
    return (
      <main className="center">
        <ErrorNote error={phase.error} title="The portal cannot reach shale serve" />
        <button type="button" onClick={refresh}>Retry</button>
      </main>
    );
  if (phase.kind === "signed-out")
    return (
      <SignInScreen
        adminExists={phase.adminExists}
        onSignedIn={(signed) => {
          setCsrfToken(signed.csrf_token);
          setPhase({ kind: "signed-in", signed });
        }}
      />
    );
  return (
    <SessionContext.Provider value={{ session: phase.signed.session, signOut, refresh }}>
      <Layout>
        <Routes />
      </Layout>
    </SessionContext.Provider>
  );
}
