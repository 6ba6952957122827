// Insights.tsx — what the router measured in a window (15 minutes to 7 days):
// the query patterns with the most time, the busiest tenants, and advice with
// its evidence and the statements it would run, applied or dismissed here.
import { useState } from "react";
import { ApiError, asApiError, post } from "../api";
import { usePoll } from "../hooks";
import type { Advice, Database, Insights } from "../types";
import { Card, Empty, ErrorNote } from "../components/ui";
import { when, words } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

const windows: [string, string][] = [
  ["15m", "15 minutes"],
  ["1h", "1 hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
];

const ms = (value: number | null | undefined) => (value === null || value === undefined ? "—" : value.toFixed(value < 10 ? 2 : 1));

// QueryText shows a pattern's first 160 characters; a longer one opens on demand.
function QueryText({ text }: { text: string | null }) {
  if (text === null) return <span className="muted">(text forgotten)</span>;
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= 160) return <code>{flat}</code>;
  return (
    <details>
      <summary>
        <code>{flat.slice(0, 160)}…</code>
      </summary>
      <code>{flat}</code>
    </details>
  );
}

function evidenceText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function AdviceItem({ advice, writer, onAct }: { advice: Advice; writer: boolean; onAct: (what: "apply" | "dismiss", advice: Advice) => void }) {
  const { why, ...rest } = advice.evidence;
  return (
    <li className="advice" data-testid={`advice-${advice.id}`}>
      <div className="advice-head">
        <span className="badge">{words(advice.kind)}</span> <strong>{advice.title}</strong>
      </div>
      {why !== undefined && <p>Why: {evidenceText(why)}</p>}
      <dl className="facts evidence">
        {Object.entries(rest).map(([key, value]) => (
          <div key={key} className="evidence-row">
            <dt>{words(key)}</dt>
            <dd>{evidenceText(value)}</dd>
          </div>
        ))}
      </dl>
      <pre className="ddl">{advice.statement}</pre>
      {writer && (
        <div className="table-actions">
          <button type="button" onClick={() => onAct("apply", advice)} aria-label={`Apply advice ${advice.id}`}>
            Apply
          </button>{" "}
          <button type="button" className="secondary" onClick={() => onAct("dismiss", advice)} aria-label={`Dismiss advice ${advice.id}`}>
            Dismiss
          </button>
        </div>
      )}
    </li>
  );
}

export function InsightsScreen({ id }: { id: string }) {
  const { session } = useSession();
  const writer = canWrite(session);
  const [windowName, setWindowName] = useState("1h");
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const ready = database.data?.database.state === "ready";
  const loaded = usePoll<{ insights: Insights }>(ready ? `/v1/databases/${id}/insights?window=${windowName}` : null, 5000);
  const insights = loaded.data?.insights;
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState("");

  const act = async (what: "apply" | "dismiss", advice: Advice) => {
    setError(null);
    setNotice("");
    try {
      if (what === "apply") {
        const answer = await post<{ results: { statement: string; ok: boolean; error?: string | null }[] }>(`/v1/databases/${id}/insights/apply`, { advice_id: advice.id });
        setNotice(`Applied ${advice.id}: ran ${answer.results.map((result) => result.statement).join(" ")}`);
      } else {
        await post(`/v1/databases/${id}/insights/dismiss`, { advice_id: advice.id });
        setNotice(`Dismissed ${advice.id}.`);
      }
    } catch (failure) {
      setError(asApiError(failure));
    }
    loaded.reload();
  };

  return (
    <>
      <DatabaseTitle database={database.data?.database} section="Insights" />
      <ErrorNote error={database.error ?? loaded.error} title="Could not load the insights" />
      <ErrorNote error={error} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <fieldset className="window-choice">
        <legend>Window</legend>
        {windows.map(([value, label]) => (
          <label key={value} className="inline">
            <input type="radio" name="window" checked={windowName === value} onChange={() => setWindowName(value)} /> {label}
          </label>
        ))}
      </fieldset>
      {insights && (
        <p className="hint">
          History since {when(insights.history_since)}; percentiles, shards and tenants since {when(insights.statistics_since)}; last snapshot {when(insights.last_snapshot_at)}.
          {insights.workers_unreachable ? ` ${insights.workers_unreachable} worker group(s) did not answer: no index advice.` : ""}
        </p>
      )}
      <Card title="Query patterns">
        {insights && insights.patterns.length === 0 && (
          <Empty title="No query in this window">
            <p>Statements sent to the router show here within seconds.</p>
          </Empty>
        )}
        {insights && insights.patterns.length > 0 && (
          <div className="table-wrap">
            <table className="list" data-testid="patterns">
              <caption className="visually-hidden">Query patterns, the most time first</caption>
              <thead>
                <tr>
                  <th scope="col">Query</th>
                  <th scope="col">Calls</th>
                  <th scope="col">Errors</th>
                  <th scope="col">Total ms</th>
                  <th scope="col">Mean ms</th>
                  <th scope="col">p50</th>
                  <th scope="col">p95</th>
                  <th scope="col">p99</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Ran on</th>
                  <th scope="col">Shards</th>
                  <th scope="col">Top tenants</th>
                </tr>
              </thead>
              <tbody>
                {insights.patterns.map((pattern) => (
                  <tr key={pattern.query_id + (pattern.user_name ?? "")}>
                    <td className="query">
                      <QueryText text={pattern.query} />
                    </td>
                    <td>{pattern.calls}</td>
                    <td>{pattern.errors}</td>
                    <td>{ms(pattern.total_ms)}</td>
                    <td>{ms(pattern.mean_ms)}</td>
                    <td>{ms(pattern.p50_ms)}</td>
                    <td>{ms(pattern.p95_ms)}</td>
                    <td>{ms(pattern.p99_ms)}</td>
                    <td>{pattern.rows}</td>
                    <td>{pattern.ran_on ?? "—"}</td>
                    <td>{pattern.mean_shards === null || pattern.mean_shards === undefined ? "—" : `${pattern.mean_shards.toFixed(1)} (max ${pattern.max_shards ?? "—"})`}</td>
                    <td>{pattern.top_tenants || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Top tenants">
        {insights && insights.tenants.length === 0 && <p>No single-shard statement yet: tenants are the distribution values of single-shard statements.</p>}
        {insights && insights.tenants.length > 0 && (
          <div className="table-wrap">
            <table className="list" data-testid="tenants">
              <caption className="visually-hidden">Busiest tenants</caption>
              <thead>
                <tr>
                  <th scope="col">Table</th>
                  <th scope="col">Tenant</th>
                  <th scope="col">Statements</th>
                  <th scope="col">Total ms</th>
                  <th scope="col">Share</th>
                </tr>
              </thead>
              <tbody>
                {insights.tenants.slice(0, 20).map((tenant) => (
                  <tr key={tenant.table_name + tenant.tenant}>
                    <td>{tenant.table_name}</td>
                    <td>{tenant.tenant}</td>
                    <td>{tenant.statements}</td>
                    <td>{ms(tenant.total_ms)}</td>
                    <td>{tenant.percent_of_statements.toFixed(1)} %</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Advice">
        {insights && insights.advice.length === 0 && <p data-testid="no-advice">No advice for this window: nothing the patterns and the tables show calls for a change.</p>}
        {insights && insights.advice.length > 0 && (
          <ul className="advice-list" data-testid="advice">
            {insights.advice.map((advice) => (
              <AdviceItem key={advice.id} advice={advice} writer={writer} onAct={act} />
            ))}
          </ul>
        )}
        {insights && insights.dismissed_advice.length > 0 && (
          <details>
            <summary>{insights.dismissed_advice.length} dismissed</summary>
            <ul>
              {insights.dismissed_advice.map((advice) => (
                <li key={advice.id}>
                  <code>{advice.id}</code> {advice.title}
                </li>
              ))}
            </ul>
          </details>
        )}
      </Card>
    </>
  );
}
