/**
 * The diff of a pending replacement (old cell source against the answer's code) with
 * Accept / Reject. Lines are text nodes: model output is never parsed as HTML here.
 */
import * as React from 'react';

import { diffStats, IDiffLine, lineDiff } from '../diff';
import { ReviewModel } from '../review';
import { useTrans } from '../translation';
import { useSignal } from './hooks';

const MARK: { [kind: string]: string } = { same: ' ', add: '+', del: '−' };

export function DiffLine(props: { line: IDiffLine }): JSX.Element {
  const { line } = props;
  return (
    <div className={`jp-localai-diff-line jp-localai-diff-${line.kind}`} data-kind={line.kind}>
      <span className="jp-localai-diff-num" aria-hidden="true">
        {line.oldLine ?? ''}
      </span>
      <span className="jp-localai-diff-num" aria-hidden="true">
        {line.newLine ?? ''}
      </span>
      <span className="jp-localai-diff-mark" aria-hidden="true">
        {MARK[line.kind]}
      </span>
      <span className="jp-localai-diff-text">{line.text || ' '}</span>
    </div>
  );
}

export function DiffReview(props: { review: ReviewModel }): JSX.Element | null {
  const { review } = props;
  useSignal(review);
  const trans = useTrans();
  const current = review.current;
  const lines = React.useMemo(
    () => (current ? lineDiff(current.oldSource, current.newSource) : []),
    [current?.oldSource, current?.newSource]
  );
  if (!current) {
    return null;
  }
  const { added, removed } = diffStats(lines);
  const title = trans.__('Replace %1?', current.label);
  return (
    <section className="jp-localai-review" aria-label={title}>
      <div className="jp-localai-review-title">
        <strong>{title}</strong>{' '}
        <span className="jp-localai-review-stats">
          {trans.__('%1 added, %2 removed', added, removed)}
        </span>
      </div>
      <div
        className="jp-localai-diff"
        role="group"
        aria-label={trans.__('Changes: lines starting with + are added, − removed')}
      >
        {lines.map((line, i) => (
          <DiffLine key={i} line={line} />
        ))}
      </div>
      {review.note && (
        <div className="jp-localai-review-note" role="alert">
          {trans.__(review.note)}
        </div>
      )}
      <div className="jp-localai-review-actions">
        <button
          className="jp-localai-button jp-mod-accept jp-localai-accept"
          title={trans.__('Replace the cell with this code (one undo step; it is not run)')}
          onClick={() => review.accept()}
        >
          {trans.__('Accept')}
        </button>
        <button
          className="jp-localai-button jp-localai-reject"
          title={trans.__('Keep the cell as it is')}
          onClick={() => review.reject()}
        >
          {trans.__('Reject')}
        </button>
      </div>
    </section>
  );
}
