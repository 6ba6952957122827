// CreateWizard.tsx — create a database in four steps (template, name, plan and
// shape, review), then follow its creation step by step until it is ready and
// show how to connect.
import { useEffect, useRef, useState } from "react";
import { ApiError, asApiError, get, idempotencyKey, post } from "../api";
import { usePoll } from "../hooks";
import type { Database, DatabaseAndOperation, Operation, Plan, TemplateSummary } from "../types";
import { Card, Empty, ErrorNote, Link, ProgressBar, Steps } from "../components/ui";
import { ConnectPanel } from "../components/ConnectPanel";
import { canWrite, useSession } from "../session";

const namePattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const stepTitles = ["Template", "Name", "Plan and shape", "Review"];

// tablesOf lists the tables a template's SQL creates, for its card.
function tablesOf(sql: string): string[] {
  return [...sql.matchAll(/create\s+table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_.]*)/gi)].map((found) => found[1]);
}

function TemplateCard({ template, chosen, onChoose }: { template: TemplateSummary; chosen: boolean; onChoose: () => void }) {
  const detail = usePoll<{ template: { schema_sql?: string } }>(`/v1/templates/${template.name}`);
  const tables = tablesOf(detail.data?.template.schema_sql ?? "");
  return (
    <button type="button" className={chosen ? "template-card chosen" : "template-card"} aria-pressed={chosen} onClick={onChoose}>
      <span className="template-name">{template.name}</span>
      <span className="template-description">{template.description}</span>
      <span className="template-tables">{tables.length ? `Creates: ${tables.join(", ")}` : "Creates no tables: an empty database"}</span>
      {template.has_sample_data && <span className="template-sample">with sample rows</span>}
    </button>
  );
}

export function CreateWizard() {
  const { session } = useSession();
  const templates = usePoll<{ templates: TemplateSummary[] }>("/v1/templates");
  const plans = usePoll<{ plans: Plan[] }>("/v1/plans");
  const [step, setStep] = useState(0);
  const [template, setTemplate] = useState("blank");
  const [name, setName] = useState("");
  const [nameProblem, setNameProblem] = useState("");
  const [plan, setPlan] = useState("free");
  const [workerGroups, setWorkerGroups] = useState(2);
  const [replicas, setReplicas] = useState(1);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [operation, setOperation] = useState<Operation | null>(null);
  const [database, setDatabase] = useState<Database | null>(null);
  const startedAt = useRef(performance.now());
  const [readyAfter, setReadyAfter] = useState<number | null>(null);
  const chosenPlan = plans.data?.plans.find((candidate) => candidate.name === plan);
  const maxGroups = chosenPlan?.limits.worker_groups ?? 2;

  useEffect(() => {
    if (workerGroups > maxGroups) setWorkerGroups(maxGroups);
  }, [maxGroups, workerGroups]);

  // follow the creation until it ends
  useEffect(() => {
    if (!operation || operation.state === "succeeded" || operation.state === "failed") return;
    const timer = window.setTimeout(async () => {
      try {
        const answer = await get<{ operation: Operation }>(`/v1/operations/${operation.id}`);
        setOperation(answer.operation);
        if (answer.operation.state === "succeeded" || answer.operation.state === "failed") {
          const current = await get<{ database: Database }>(`/v1/databases/${answer.operation.database_id}`);
          setDatabase(current.database);
          if (answer.operation.state === "succeeded") setReadyAfter((performance.now() - startedAt.current) / 1000);
        }
      } catch (failure) {
        setError(asApiError(failure));
        setOperation({ ...operation });
      }
    }, 500);
    return () => window.clearTimeout(timer);
  }, [operation]);

  if (!canWrite(session))
    return (
      <Empty title="You cannot create databases">
        <p>Your role is read-only. Ask an admin of your organization to make you a developer.</p>
      </Empty>
    );

  const checkName = () => {
    if (!name) return "Give the database a name: 1 to 63 lowercase letters, digits and '-', starting with a letter.";
    if (!namePattern.test(name))
      return "A database name has 1 to 63 lowercase letters, digits and '-', starts with a letter and does not end with '-'.";
    return "";
  };

  const next = () => {
    if (step === 1) {
      const problem = checkName();
      setNameProblem(problem);
      if (problem) return;
    }
    setError(null);
    setStep(step + 1);
  };

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await post<DatabaseAndOperation>(
        "/v1/databases",
        { name, template, plan, worker_groups: workerGroups, replicas },
        idempotencyKey(),
      );
      setDatabase(answer.database);
      setOperation(answer.operation);
    } catch (failure) {
      const problem = asApiError(failure);
      setError(problem);
      if (problem.field === "name") setStep(1);
    } finally {
      setBusy(false);
    }
  };

  if (operation) {
    const ended = operation.state === "succeeded" || operation.state === "failed";
    return (
      <>
        <div className="page-head">
          <h1>Creating {name}</h1>
        </div>
        <Card title="Progress">
          <ProgressBar value={operation.progress} label={`Creation of ${name}`} />
          <p className="status-line" aria-live="polite">
            {operation.state === "succeeded"
              ? `Ready${readyAfter !== null ? ` after ${readyAfter.toFixed(1)} s` : ""}.`
              : operation.state === "failed"
                ? `The creation failed: ${operation.error ?? "see the steps"}. Delete the failed database under its Settings to free the name, then try again.`
                : `${operation.state}, ${operation.progress} %`}
          </p>
          <Steps steps={operation.steps} />
          <ErrorNote error={error} title="Could not follow the creation" />
        </Card>
        {ended && database && operation.state === "succeeded" && (
          <Card title="Connect" actions={<Link to={`/databases/${database.id}`}>Open the overview</Link>}>
            <ConnectPanel database={database} />
          </Card>
        )}
      </>
    );
  }

  return (
    <>
      <div className="page-head">
        <h1>Create a database</h1>
      </div>
      <ol className="wizard-steps" aria-label="Steps">
        {stepTitles.map((title, index) => (
          <li key={title} className={index === step ? "current" : index < step ? "done" : ""} aria-current={index === step ? "step" : undefined}>
            {index + 1}. {title}
          </li>
        ))}
      </ol>
      <ErrorNote error={templates.error ?? plans.error} title="Could not load the templates and plans" />
      {step === 0 && (
        <Card title="1. Choose a template">
          <p className="hint">A template is the SQL the database starts from: its tables, distributed already where that helps.</p>
          <div className="template-grid">
            {(templates.data?.templates ?? []).map((candidate) => (
              <TemplateCard key={candidate.name} template={candidate} chosen={candidate.name === template} onChoose={() => setTemplate(candidate.name)} />
            ))}
          </div>
        </Card>
      )}
      {step === 1 && (
        <Card title="2. Name it">
          <label>
            Database name
            <input
              value={name}
              onChange={(event) => setName(event.target.value.trim())}
              aria-invalid={nameProblem ? true : undefined}
              aria-describedby="name-help"
              autoFocus
              onKeyDown={(event) => event.key === "Enter" && next()}
            />
          </label>
          <p id="name-help" className={nameProblem ? "field-error" : "hint"} role={nameProblem ? "alert" : undefined}>
            {nameProblem || "Lowercase letters, digits and '-', starting with a letter; unique in your organization."}
          </p>
        </Card>
      )}
      {step === 2 && (
        <Card title="3. Plan and shape">
          <fieldset className="plans">
            <legend>Plan</legend>
            {(plans.data?.plans ?? []).map((candidate) => (
              <label key={candidate.name} className="plan-choice">
                <input type="radio" name="plan" value={candidate.name} checked={plan === candidate.name} onChange={() => setPlan(candidate.name)} />
                <strong>{candidate.name}</strong> <span className="muted">{candidate.description}</span>
              </label>
            ))}
          </fieldset>
          <label>
            Worker groups (1 to {maxGroups} on the {plan} plan)
            <input type="number" min={1} max={maxGroups} value={workerGroups} onChange={(event) => setWorkerGroups(Number(event.target.value))} />
          </label>
          <label>
            Replicas per primary (0 to 2; the router gets as many)
            <input type="number" min={0} max={2} value={replicas} onChange={(event) => setReplicas(Number(event.target.value))} />
          </label>
          <p className="hint">
            {workerGroups} worker group(s) and a router, each primary with {replicas} replica(s): {(workerGroups + 1) * (replicas + 1)} PostgreSQL
            servers. With replicas, a lost primary fails over in about 2 s without losing a commit.
          </p>
        </Card>
      )}
      {step === 3 && (
        <Card title="4. Review">
          <dl className="facts">
            <dt>Template</dt>
            <dd>{template}</dd>
            <dt>Name</dt>
            <dd>{name}</dd>
            <dt>Plan</dt>
            <dd>{plan}</dd>
            <dt>Worker groups</dt>
            <dd>{workerGroups}</dd>
            <dt>Replicas</dt>
            <dd>{replicas}</dd>
          </dl>
        </Card>
      )}
      <ErrorNote error={error} title="The database was not created" />
      <div className="wizard-buttons">
        {step > 0 && (
          <button type="button" className="secondary" onClick={() => setStep(step - 1)}>
            Back
          </button>
        )}
        {step < 3 && (
          <button type="button" onClick={next}>
            Next
          </button>
        )}
        {step === 3 && (
          <button type="button" onClick={create} disabled={busy}>
            {busy ? "Creating…" : "Create database"}
          </button>
        )}
      </div>
    </>
  );
}
