// DeployRequest.tsx — one deploy request: the DDL that will run, the lint
// (why, what to do), conflicts, whether it can be deployed, each step's state,
// and Deploy, Close and Revert (while the revert window is open) with the
// operation's progress.
import { useState } from "react";
import { ApiError, asApiError, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Database, DeployRequest, Operation } from "../types";
import { Card, ConfirmButton, ErrorNote, Link, ProgressBar, StateBadge, Steps } from "../components/ui";
import { when, words } from "../format";
import { canWrite, useSession } from "../session";
import { DatabaseTitle } from "./DatabaseTitle";

function Lint({ request }: { request: DeployRequest }) {
  if (request.lint.length === 0) return <p data-testid="lint">The lint found nothing to warn about.</p>;
  return (
    <ul className="lint" data-testid="lint">
      {request.lint.map((finding, index) => (
        <li key={index} className={`lint-${finding.severity}`}>
          <div>
            <span className={`badge badge-lint-${finding.severity}`}>{finding.severity}</span> <code>{finding.code}</code> on <code>{finding.object}</code>: {finding.message}
          </div>
          <div>
            <strong>Why: </strong>
            {finding.why}
          </div>
          <div>
            <strong>What to do: </strong>
            {finding.what_to_do}
          </div>
          {finding.lock_estimate_seconds !== null && <div className="muted">Estimated lock: {finding.lock_estimate_seconds.toFixed(2)} s</div>}
        </li>
      ))}
    </ul>
  );
}

// deployableText says whether Deploy can run, and if not, why.
function deployableText(request: DeployRequest): string {
  if (request.state !== "open") return `no: it is ${request.state}`;
  if (request.deployable) return "yes";
  if (request.conflicts.length > 0) return "no: conflicts below";
  if (request.lint.some((finding) => finding.severity === "error")) return "no: a lint error below";
  return "no";
}

function StepList({ request }: { request: DeployRequest }) {
  return (
    <ol className="steps" data-testid="deploy-steps">
      {request.steps.map((step) => (
        <li key={step.number} className={`step step-${step.state ?? "pending"}`}>
          <span className="step-name">
            {step.number}. {words(step.action)} <code>{step.object}</code>
          </span>
          <span className="step-state">{words(step.state ?? "pending")}</span>
          {step.lock_retries ? <span className="step-detail">{step.lock_retries} lock retries</span> : null}
          {step.error && <span className="step-error">{step.error}</span>}
          {(step.revert_notes ?? []).map((note) => (
            <span key={note} className="step-detail">
              {note}
            </span>
          ))}
        </li>
      ))}
    </ol>
  );
}

export function DeployRequestScreen({ id, number }: { id: string; number: string }) {
  const { session } = useSession();
  const writer = canWrite(session);
  const database = usePoll<{ database: Database }>(`/v1/databases/${id}`);
  const loaded = usePoll<{ deploy_request: DeployRequest }>(`/v1/databases/${id}/deploy-requests/${encodeURIComponent(number)}`, 1500);
  const request = loaded.data?.deploy_request;
  const [operationId, setOperationId] = useState<string | null>(null);
  const shownOperation = operationId ?? request?.operation_id ?? null;
  const operation = usePoll<{ operation: Operation }>(shownOperation ? `/v1/operations/${shownOperation}` : null, 1000);
  const [error, setError] = useState<ApiError | null>(null);
  const base = `/v1/databases/${id}/deploy-requests/${number}`;

  const act = async (what: string) => {
    setError(null);
    try {
      const answer = await post<{ operation?: Operation }>(`${base}/${what}`, {}, idempotencyKey());
      if (answer.operation) setOperationId(answer.operation.id);
    } catch (failure) {
      setError(asApiError(failure));
    }
    loaded.reload();
  };
  const revertOpen = request?.state === "deployed" && (request.revert_seconds_left ?? 0) > 0;

  return (
    <>
      <DatabaseTitle database={database.data?.database} section={`Deploy request #${number}`} />
      <p>
        <Link to={`/databases/${id}/deploy-requests`}>All deploy requests</Link>
      </p>
      <ErrorNote error={loaded.error} title="Could not load the deploy request" />
      <ErrorNote error={error} />
      {request && (
        <>
          <Card
            title={`Deploy request #${request.number}`}
            actions={
              writer ? (
                <>
                  {request.state === "open" && (
                    <button type="button" onClick={() => act("deploy")} disabled={!request.deployable}>
                      Deploy
                    </button>
                  )}{" "}
                  {request.state === "open" && <ConfirmButton label="Close request" question="Close it without deploying?" onConfirm={() => act("close")} />}{" "}
                  {revertOpen && (
                    <ConfirmButton
                      danger
                      label="Revert deploy"
                      text={`Revert (${request.revert_seconds_left} s left)`}
                      question="Undo every step of the deploy?"
                      onConfirm={() => act("revert")}
                    />
                  )}
                </>
              ) : undefined
            }
          >
            <dl className="facts">
              <dt>State</dt>
              <dd data-testid="deploy-state">
                <StateBadge state={request.state} />
              </dd>
              <dt>Branch</dt>
              <dd>{request.branch ?? "(deleted)"}</dd>
              <dt>Deployable</dt>
              <dd data-testid="deployable">{deployableText(request)}</dd>
              <dt>Opened</dt>
              <dd>{when(request.created_at)}</dd>
              {request.deployed_at && (
                <>
                  <dt>Deployed</dt>
                  <dd>{when(request.deployed_at)}</dd>
                </>
              )}
              {request.revert_until && (
                <>
                  <dt>Revert until</dt>
                  <dd data-testid="revert-window">
                    {when(request.revert_until)}
                    {revertOpen ? ` (${request.revert_seconds_left} s left)` : " (closed)"}
                  </dd>
                </>
              )}
              {request.parent_state && (
                <>
                  <dt>Parent</dt>
                  <dd>{request.parent_state}</dd>
                </>
              )}
            </dl>
            {request.error && <p className="step-error">{request.error}</p>}
          </Card>
          <Card title={["open", "queued"].includes(request.state) ? "The DDL that will run" : "The DDL of the deploy"}>
            {request.ddl ? (
              <pre className="ddl" data-testid="ddl">
                {request.ddl}
              </pre>
            ) : (
              <p>No schema change: the branch is the same as its parent.</p>
            )}
          </Card>
          <Card title="Lint">
            <Lint request={request} />
          </Card>
          <Card title="Conflicts">
            {request.conflicts.length === 0 ? (
              <p data-testid="conflicts">None: {database.data?.database.name ?? "the parent"} did not change the same objects since the branch was made.</p>
            ) : (
              <ul className="lint" data-testid="conflicts">
                {request.conflicts.map((conflict, index) => (
                  <li key={index} className="lint-error">
                    <code>{conflict.object}</code>: {conflict.message}
                    <div>
                      <strong>What to do: </strong>
                      {conflict.what_to_do}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Steps">
            <StepList request={request} />
            {operation.data && (
              <div aria-live="polite">
                <p>
                  Operation {words(operation.data.operation.kind)}: <StateBadge state={operation.data.operation.state} />
                </p>
                {operation.data.operation.state !== "succeeded" && <ProgressBar value={operation.data.operation.progress} label="Deploy progress" />}
                <Steps steps={operation.data.operation.steps} />
                {operation.data.operation.error && <p className="step-error">{operation.data.operation.error}</p>}
              </div>
            )}
          </Card>
        </>
      )}
    </>
  );
}
