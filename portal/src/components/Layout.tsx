// Layout.tsx — the frame of every signed-in screen: the top bar (organization,
// who is signed in, sign out) and the navigation, with a database's own
// sections when a database is open.
import type { MouseEvent, ReactNode } from "react";
import { useSession, whoLabel } from "../session";
import { match, navigate, usePath } from "../router";
import { Link } from "./ui";

const databaseSections: [string, string][] = [
  ["", "Overview"],
  ["/connect", "Connect"],
  ["/tables", "Tables"],
  ["/backups", "Backups"],
  ["/operations", "Operations"],
  ["/settings", "Settings"],
  ["/branches", "Branches"],
  ["/deploy-requests", "Deploy requests"],
  ["/insights", "Insights"],
];

function follow(event: MouseEvent<HTMLAnchorElement>, to: string) {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(to);
}

export function Layout({ children }: { children: ReactNode }) {
  const { session, signOut } = useSession();
  const path = usePath();
  const opened = match("/databases/:id", path) ?? match("/databases/:id/:section", path) ?? match("/databases/:id/:section/:item", path);
  const current = (to: string) => (path === to ? "page" : undefined);
  return (
    <div className="layout">
      <header className="topbar">
        <Link to="/" className="brand" label="Shale: databases">
          Shale
        </Link>
        <span className="org">{session.organization.name}</span>
        <span className="who">{whoLabel(session)}</span>
        <button type="button" className="secondary small" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Main">
        <ul>
          <li>
            <a href="/" aria-current={current("/")} onClick={(event) => follow(event, "/")}>
              Databases
            </a>
          </li>
          <li>
            <a href="/new" aria-current={current("/new")} onClick={(event) => follow(event, "/new")}>New database</a>
          </li>
          <li>
            <a href="/operations" aria-current={current("/operations")} onClick={(event) => follow(event, "/operations")}>Operations</a>
          </li>
          <li>
            <a href="/members" aria-current={current("/members")} onClick={(event) => follow(event, "/members")}>Members</a>
          </li>
        </ul>
        {opened && (
          <>
            <h2 className="nav-title">This database</h2>
            <ul aria-label="This database">
              {databaseSections.map(([suffix, label]) => {
                const to = `/databases/${opened.id}${suffix}`;
                return (
                  <li key={suffix}>
                    <a href={to} aria-current={current(to)} onClick={(event) => follow(event, to)}>
                      {label}
                    </a>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}
