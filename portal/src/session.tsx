// session.tsx — who is signed in, shared by every screen: the session (member
// or API token, organization, scope) and what the scope allows.
import { createContext, useContext } from "react";
import type { Session } from "./types";

export type SessionState = { session: Session; signOut: () => void; refresh: () => void };

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error("useSession outside a signed-in page");
  return state;
}

// canWrite: developers and admins (token scope write or admin) change databases.
export function canWrite(session: Session): boolean {
  return session.scope === "write" || session.scope === "admin";
}

export function isAdmin(session: Session): boolean {
  return session.scope === "admin";
}

export function whoLabel(session: Session): string {
  if (session.member) return `${session.member.email} (${session.member.role})`;
  return `API token (${session.scope})`;
}
