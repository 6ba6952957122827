// SignIn.tsx — the first screen: create the first admin user on a new
// installation, else sign in with an e-mail address and password, or an API token.
import { useState, type FormEvent } from "react";
import { ApiError, asApiError, post } from "../api";
import type { SignedIn } from "../types";
import { ErrorNote } from "../components/ui";

export function SignInScreen({ adminExists, onSignedIn }: { adminExists: boolean; onSignedIn: (signed: SignedIn) => void }) {
  const [mode, setMode] = useState<"password" | "token">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const setup = !adminExists;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = setup ? { email, password, name } : mode === "token" ? { token } : { email, password };
      onSignedIn(await post<SignedIn>(setup ? "/v1/setup" : "/v1/sessions", body));
    } catch (failure) {
      setError(asApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-label={setup ? "Create the first admin" : "Sign in"}>
        <div className="brand big">Shale</div>
        <h1>{setup ? "Create the first admin" : "Sign in"}</h1>
        {setup && (
          <p className="hint">
            This installation has no user yet. The account you create now is the admin of the organization; add other members
            later under Members.
          </p>
        )}
        {!setup && (
          <div className="tabs" role="tablist" aria-label="Sign in with">
            <button type="button" role="tab" aria-selected={mode === "password"} className={mode === "password" ? "tab active" : "tab"} onClick={() => setMode("password")}>
              E-mail and password
            </button>
            <button type="button" role="tab" aria-selected={mode === "token"} className={mode === "token" ? "tab active" : "tab"} onClick={() => setMode("token")}>
              API token
            </button>
          </div>
        )}
        {(setup || mode === "password") && (
          <>
            {setup && (
              <label>
                Your name
                <input value={name} onChange={(event) => setName(event.target.value)} autoComplete="name" />
              </label>
            )}
            <label>
              E-mail address
              <input type="email" required value={email} onChange={(event) => setEmail(event.target.value)} autoComplete="username" autoFocus />
            </label>
            <label>
              Password{setup && " (at least 10 characters)"}
              <input
                type="password"
                required
                minLength={setup ? 10 : undefined}
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                autoComplete={setup ? "new-password" : "current-password"}
              />
            </label>
          </>
        )}
        {!setup && mode === "token" && (
          <label>
            API token (shl_…)
            <input required value={token} onChange={(event) => setToken(event.target.value)} autoComplete="off" spellCheck={false} />
          </label>
        )}
        <ErrorNote error={error} title={setup ? "Could not create the admin" : "Could not sign in"} />
        <button type="submit" disabled={busy}>
          {busy ? "Working…" : setup ? "Create admin and sign in" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
