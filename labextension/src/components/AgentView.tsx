/**
 * An agent run: the goal, the plan, then each step's cell (code, or the diff of an edit),
 * its output in the copy of the kernel, and Accept / Accept and run / Reject per step,
 * Accept all / Reject all for the rest. Everything the model or the copy produced is a text
 * node (React escapes it): no Markdown, no HTML.
 */
import * as React from 'react';

import { IAgentRun, IAgentStep, isOffered } from '../agentRun';
import { AgentSession } from '../agentPanel';
import { AgentViewModel } from '../agentState';
import { lineDiff } from '../diff';
import { useTrans } from '../translation';
import { DiffLine } from './DiffReview';
import { useSignal } from './hooks';

const RUN_WORDS: { [status: string]: string } = {
  running: 'working in a copy of the kernel…',
  done: 'every step ran in the copy',
  too_big: 'too big for this model',
  failed: 'stopped at a step that did not run',
  stopped: 'stopped'
};

const STEP_WORDS: { [status: string]: string } = {
  pending: 'not reached',
  ran: 'ran in the copy',
  skipped: 'skipped: a cell of the notebook already does it',
  failed: 'failed in the copy',
  stopped: 'stopped in the copy'
};

function StepCode(props: { step: IAgentStep }): JSX.Element {
  const { step } = props;
  const trans = useTrans();
  const lines = React.useMemo(
    () => (step.target ? lineDiff(step.target.source, step.code) : []),
    [step.target?.source, step.code]
  );
  if (!step.target) {
    return (
      <pre className="jp-localai-agent-code" aria-label={trans.__('Proposed cell')}>
        {step.code}
      </pre>
    );
  }
  return (
    <div
      className="jp-localai-diff jp-localai-agent-diff"
      role="group"
      aria-label={trans.__('Changes: lines starting with + are added, − removed')}
    >
      {lines.map((line, i) => (
        <DiffLine key={i} line={line} />
      ))}
    </div>
  );
}

function StepOutput(props: { step: IAgentStep }): JSX.Element | null {
  const { output } = props.step;
  const trans = useTrans();
  const any =
    output.text || output.figures.length || output.error || output.stopped || output.refusals.length;
  if (!any) {
    return null;
  }
  return (
    <div className="jp-localai-agent-result">
      {output.text && (
        <>
          <div className="jp-localai-agent-label">{trans.__('Output in the copy')}</div>
          <pre className="jp-localai-agent-output">{output.text}</pre>
        </>
      )}
      {output.figures.length > 0 && (
        <>
          <div className="jp-localai-agent-label">{trans.__('Figures in the copy')}</div>
          <ul className="jp-localai-agent-figures">
            {output.figures.map((figure, i) => (
              <li key={i}>{figure}</li>
            ))}
          </ul>
        </>
      )}
      {output.stopped ? (
        <div className="jp-localai-agent-stopped">
          {trans.__('Stopped: %1', output.stopped)}
        </div>
      ) : (
        output.error && (
          <>
            <div className="jp-localai-agent-label">{trans.__('Error in the copy')}</div>
            <pre className="jp-localai-agent-error">{output.error}</pre>
          </>
        )
      )}
      {output.refusals.length > 0 && (
        <ul className="jp-localai-agent-refusals" aria-label={trans.__('Refused in the copy')}>
          {output.refusals.map((refusal, i) => (
            <li key={i}>{refusal}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Step(props: { model: AgentViewModel; step: IAgentStep; running: boolean }): JSX.Element {
  const { model, step } = props;
  const trans = useTrans();
  const decision = model.decision(step);
  const what = step.target
    ? trans.__('edit of In[%1]', step.target.execution_count)
    : trans.__('new cell');
  const tries = step.attempts.length > 1 ? trans.__(', %1 attempts', step.attempts.length) : '';
  const offered = isOffered(step) && decision === 'pending' && !props.running;
  return (
    <li
      className={`jp-localai-agent-step jp-localai-agent-step-${step.status}`}
      data-index={step.index}
      data-status={step.status}
      data-decision={decision}
    >
      <div className="jp-localai-agent-step-head">
        <strong>{trans.__('Step %1', step.index)}</strong>{' '}
        <span className="jp-localai-agent-step-meta">
          ({what}, {trans.__(STEP_WORDS[step.status] ?? step.status)}
          {tries}, {step.seconds.toFixed(0)} s)
        </span>{' '}
        <span className="jp-localai-agent-title">{step.title}</span>
      </div>
      {(step.code || step.target) && <StepCode step={step} />}
      <StepOutput step={step} />
      {offered ? (
        <div className="jp-localai-agent-actions">
          <button
            className="jp-localai-button jp-mod-accept jp-localai-agent-accept"
            disabled={model.busy}
            title={
              step.target
                ? trans.__('Replace In[%1] with this code (one undo step; it is not run)', step.target.execution_count)
                : trans.__('Insert this cell below (it is not run)')
            }
            onClick={() => void model.accept(step.index)}
          >
            {trans.__('Accept')}
          </button>
          <button
            className="jp-localai-button jp-localai-agent-accept-run"
            disabled={model.busy}
            title={trans.__('Put this cell in the notebook and run it in your kernel now')}
            onClick={() => void model.accept(step.index, true)}
          >
            {trans.__('Accept and run')}
          </button>
          <button
            className="jp-localai-button jp-localai-agent-reject"
            disabled={model.busy}
            title={trans.__('Discard this step (the notebook does not change)')}
            onClick={() => model.reject(step.index)}
          >
            {trans.__('Reject')}
          </button>
        </div>
      ) : (
        decision !== 'pending' && (
          <div className={`jp-localai-agent-decision jp-localai-agent-${decision}`}>
            {decision === 'accepted' ? trans.__('✓ accepted') : trans.__('✗ rejected')}
          </div>
        )
      )}
    </li>
  );
}

function copyText(run: IAgentRun): string {
  const allowed = [
    run.copy.network ? 'network' : '',
    run.copy.writes_files ? 'writing files' : '',
    run.copy.processes ? 'starting processes' : ''
  ].filter(Boolean);
  return (
    'Each step ran in a forked copy of the kernel' +
    (allowed.length ? ` (allowed there: ${allowed.join(', ')})` : ' (no network, no file writes, no processes)') +
    (run.copy.step_timeout_s ? `, at most ${run.copy.step_timeout_s.toFixed(0)} s a step` : '') +
    '. Your notebook and kernel are untouched until you accept.'
  );
}

export function AgentView(props: { model: AgentViewModel }): JSX.Element {
  const { model } = props;
  useSignal(model);
  const trans = useTrans();
  const run = model.run;
  const running = run.status === 'running';
  const pending = model.pending();
  return (
    <section
      className="jp-localai-agent"
      data-status={run.status}
      aria-label={trans.__('Agent run')}
      aria-busy={running}
    >
      <div className="jp-localai-agent-head">
        <strong>{trans.__('Agent')}</strong>{' '}
        <span className="jp-localai-agent-status">
          ({trans.__(RUN_WORDS[run.status] ?? run.status)})
        </span>{' '}
        <span className="jp-localai-agent-goal">{run.goal}</span>
      </div>
      {run.plan.length > 0 && (
        <>
          <div className="jp-localai-agent-label">{trans.__('Plan')}</div>
          <ol className="jp-localai-agent-plan">
            {run.plan.map((title, i) => (
              <li key={i}>{title}</li>
            ))}
          </ol>
        </>
      )}
      <ol className="jp-localai-agent-steps" aria-label={trans.__('Steps')}>
        {run.steps
          .filter(step => step.status !== 'pending')
          .map(step => (
            <Step key={step.index} model={model} step={step} running={running} />
          ))}
      </ol>
      {run.message && <div className="jp-localai-agent-message">{run.message}</div>}
      {model.note && (
        <div
          className={`jp-localai-agent-note${model.noteIsError ? ' jp-localai-agent-note-error' : ''}`}
          role={model.noteIsError ? 'alert' : 'status'}
        >
          {model.note}
        </div>
      )}
      {!running && pending.length > 0 && (
        <div className="jp-localai-agent-actions jp-localai-agent-all">
          <button
            className="jp-localai-button jp-mod-accept jp-localai-agent-accept-all"
            disabled={model.busy}
            title={trans.__('Put every pending step into the notebook, in order (nothing runs)')}
            onClick={() => void model.acceptAll()}
          >
            {trans.__('Accept all')}
          </button>
          <button
            className="jp-localai-button jp-localai-agent-reject-all"
            disabled={model.busy}
            title={trans.__('Discard every pending step (the notebook does not change)')}
            onClick={() => model.rejectAll()}
          >
            {trans.__('Reject all')}
          </button>
        </div>
      )}
      {!running && (
        <div className="jp-localai-meta jp-localai-agent-footer">
          {trans.__(copyText(run))}{' '}
          {[
            run.model,
            trans.__(
              '%1 s (model %2 s, copy %3 s)',
              run.timings.total_s.toFixed(0),
              run.timings.model_s.toFixed(0),
              run.timings.copy_s.toFixed(0)
            )
          ]
            .filter(Boolean)
            .join(' · ')}
        </div>
      )}
    </section>
  );
}

/** The panel's agent run (the "Agent" task), with why it failed and a way to close it. */
export function AgentPanelSection(props: { session: AgentSession }): JSX.Element | null {
  const { session } = props;
  useSignal(session);
  const trans = useTrans();
  const view = session.view;
  if (!view) {
    return null;
  }
  return (
    <div className="jp-localai-agent-panel" title={session.path ?? ''}>
      <AgentView model={view} />
      {session.error && (
        <div className="jp-localai-note jp-localai-note-error jp-localai-agent-error-note" role="alert">
          {session.error}
        </div>
      )}
      {!session.busy && (
        <button
          className="jp-localai-link jp-localai-agent-close"
          title={trans.__('Close this agent run (cells you accepted stay in the notebook)')}
          onClick={() => session.clear()}
        >
          {trans.__('close')}
        </button>
      )}
    </div>
  );
}
