/**
 * The agent run of a `%%ai agent` cell (`application/vnd.jupyter-localai.agent+json` in its
 * output) as the agent view, acting on the notebook that holds the output: new steps go
 * below that cell, edits replace the cell last run as In[N]. The kernel updates the display
 * while the run goes on; the decisions made here stay with the view.
 */
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMime } from '@jupyterlab/rendermime';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { agentNotebook } from './agentNotebook';
import { AGENT_MIME_TYPE, IAgentRun, readAgentRun } from './agentRun';
import { AgentViewModel, IAgentNotebook } from './agentState';
import { locateNode } from './cellActions';
import { AgentView } from './components/AgentView';
import { ReviewModel } from './review';

export class AgentRenderer extends ReactWidget implements IRenderMime.IRenderer {
  constructor(
    private readonly _options: IRenderMime.IRendererOptions,
    private readonly _tracker: INotebookTracker,
    private readonly _review: ReviewModel | null
  ) {
    super();
    this.addClass('jp-localai-agent-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    let run: IAgentRun;
    try {
      run = readAgentRun(model.data[this._options.mimeType]);
      this._error = '';
    } catch (reason) {
      this._error = (reason as Error).message;
      this.update();
      return;
    }
    if (this._model) {
      this._model.setRun(run);
    } else {
      this._model = new AgentViewModel(run, () => this._notebook(), null, this._review);
    }
    this.update();
  }

  /** The notebook holding this output; new cells go below the output's cell. */
  private _notebook(): IAgentNotebook | null {
    const where = locateNode(this._tracker, this.node);
    if (!where) {
      return null;
    }
    const notebook = agentNotebook(where.panel);
    const ownCell = where.panel.content.widgets[where.index].model.id;
    return {
      ...notebook,
      insertAfter: (afterId, code) => notebook.insertAfter(afterId ?? ownCell, code)
    };
  }

  protected render(): JSX.Element | null {
    if (this._error) {
      return React.createElement(
        'div',
        { className: 'jp-localai-note jp-localai-note-error' },
        this._error
      );
    }
    return this._model ? React.createElement(AgentView, { model: this._model }) : null;
  }

  private _model: AgentViewModel | null = null;
  private _error = '';
}

export function agentRendererFactory(
  tracker: INotebookTracker,
  review: ReviewModel | null
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [AGENT_MIME_TYPE],
    defaultRank: 40,
    createRenderer: options => new AgentRenderer(options, tracker, review)
  };
}
