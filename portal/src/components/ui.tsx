// ui.tsx — small building blocks shared by the screens: error notes that say
// what to do, empty states, progress bars, copy buttons, state badges, links.
import { useState, type ReactNode, type MouseEvent } from "react";
import { ApiError, whatToDo } from "../api";
import { navigate } from "../router";
import type { Step } from "../types";
import { duration, words } from "../format";

export function ErrorNote({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{title ?? "That did not work"}: </strong>
      <span className="error-message">{error.message}</span>
      <div className="error-todo">{whatToDo(error)}</div>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty" role="status">
      <h3>{title}</h3>
      <div>{children}</div>
    </div>
  );
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${Math.max(0, Math.min(100, value))}%` }} />
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // without clipboard permission (plain HTTP on another host): select-and-copy fallback
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" className="secondary small" onClick={copy} aria-label={label}>
      {copied ? "Copied" : "Copy"}
    </button>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`}>{words(state)}</span>;
}

export function Link({ to, children, className, label }: { to: string; children: ReactNode; className?: string; label?: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={follow} className={className} aria-label={label}>
      {children}
    </a>
  );
}

export function Steps({ steps }: { steps: Step[] }) {
  return (
    <ol className="steps">
      {steps.map((step) => (
        <li key={step.name} className={`step step-${step.state}`}>
          <span className="step-mark" aria-hidden="true">
            {step.state === "succeeded" ? "✓" : step.state === "failed" ? "✗" : step.state === "running" ? "…" : "○"}
          </span>
          <span className="step-name">{words(step.name)}</span>
          <span className="step-state">{step.state}</span>
          {step.started_at && <span className="step-time">{duration(step.started_at, step.finished_at)}</span>}
          {step.detail && <span className="step-detail">{step.detail}</span>}
          {step.error && <span className="step-error">{step.error}</span>}
        </li>
      ))}
    </ol>
  );
}

export function Card({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <header className="card-head">
        <h2>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

// ConfirmButton asks once more, in place, before a change that cannot be taken back.
// The button shows text (default: the label's first word), its accessible name is label.
export function ConfirmButton({ label, text, question, onConfirm, danger }: { label: string; text?: string; question: string; onConfirm: () => void; danger?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" className={danger ? "danger small" : "secondary small"} onClick={() => setAsking(true)} aria-label={label}>
        {text ?? label.split(" ")[0]}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>{" "}
      <button
        type="button"
        className={danger ? "danger small" : "small"}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>{" "}
      <button type="button" className="secondary small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
