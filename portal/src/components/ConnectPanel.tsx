// ConnectPanel.tsx — how to connect to a database: the URI of each role with a
// copy button, the CA certificate to verify the servers, and ready snippets for
// psql, Go, Node.js and Python.
import { useMemo, useState } from "react";
import { usePoll } from "../hooks";
import type { Database, Role } from "../types";
import { CopyButton, ErrorNote } from "./ui";

function snippets(uri: string): [string, string][] {
  return [
    ["psql", `psql "${uri}"`],
    [
      "Go",
      `// go get github.com/jackc/pgx/v5
conn, err := pgx.Connect(context.Background(), "${uri}")
if err != nil { log.Fatal(err) }
defer conn.Close(context.Background())`,
    ],
    [
      "Node.js",
      `// npm install pg
import pg from "pg";
const pool = new pg.Pool({ connectionString: "${uri}" });
const { rows } = await pool.query("SELECT now()");`,
    ],
    [
      "Python",
      `# pip install "psycopg[binary]"
import psycopg
with psycopg.connect("${uri}") as conn:
    print(conn.execute("SELECT now()").fetchone())`,
    ],
  ];
}

// CaCertificate offers the installation's CA certificate, with which clients
// verify every node's certificate (sslmode=verify-full).
function CaCertificate() {
  const authority = usePoll<{ ca_certificate: string }>("/v1/ca-certificate");
  const pem = authority.data?.ca_certificate;
  // a data: URL, so that no object URL outlives the panel
  const href = useMemo(() => (pem ? "data:application/x-pem-file;base64," + btoa(pem) : ""), [pem]);
  if (authority.error) return <ErrorNote error={authority.error} title="Could not load the CA certificate" />;
  if (!pem) return null;
  return (
    <div className="ca-certificate">
      <p className="hint">
        Every node speaks TLS with a certificate signed by this installation's CA. To verify the server, save the CA certificate
        and add <code>&amp;sslmode=verify-full&amp;sslrootcert=shale-ca.crt</code> to the URI.
      </p>
      <a className="button" href={href} download="shale-ca.crt" data-testid="ca-download">
        Download the CA certificate
      </a>{" "}
      <CopyButton text={pem} label="Copy the CA certificate" />
    </div>
  );
}

export function ConnectPanel({ database, extraRole }: { database: Database; extraRole?: { name: string; uri: string } }) {
  const roles = usePoll<{ roles: Role[] }>(database.state === "ready" ? `/v1/databases/${database.id}/roles` : null);
  const choices: { name: string; uri: string }[] = [];
  if (database.uri) choices.push({ name: "postgres (owner)", uri: database.uri });
  for (const role of roles.data?.roles ?? []) if (role.connection_uri) choices.push({ name: role.name, uri: role.connection_uri });
  if (extraRole) choices.unshift(extraRole);
  const [chosen, setChosen] = useState(0);
  const [language, setLanguage] = useState(0);
  if (!database.uri) return <p>The database has no address yet: it is {database.state}.</p>;
  const uri = (choices[chosen] ?? choices[0]).uri;
  const code = snippets(uri);
  return (
    <div className="connect">
      <ErrorNote error={roles.error} title="Could not load the roles" />
      <table className="list uris">
        <caption className="visually-hidden">Connection URIs per role</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Connection URI</th>
            <th scope="col">
              <span className="visually-hidden">Copy</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {choices.map((choice, index) => (
            <tr key={choice.name + index}>
              <td>
                <label className="inline">
                  <input type="radio" name="connect-role" checked={index === chosen} onChange={() => setChosen(index)} /> {choice.name}
                </label>
              </td>
              <td>
                <code className="uri" data-testid={`uri-${choice.name}`}>
                  {choice.uri}
                </code>
              </td>
              <td>
                <CopyButton text={choice.uri} label={`Copy the URI of ${choice.name}`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        Role passwords are shown once, when a role is made or its password reset (Settings). The URIs above leave them out when
        they are not known here.
      </p>
      <CaCertificate />
      <div className="tabs" role="tablist" aria-label="Snippet language">
        {code.map(([name], index) => (
          <button type="button" role="tab" key={name} aria-selected={index === language} className={index === language ? "tab active" : "tab"} onClick={() => setLanguage(index)}>
            {name}
          </button>
        ))}
      </div>
      <div className="snippet">
        <pre>
          <code>{code[language][1]}</code>
        </pre>
        <CopyButton text={code[language][1]} label={`Copy the ${code[language][0]} snippet`} />
      </div>
    </div>
  );
}
