/**
 * jupyter-localai's JupyterLab extension: the "Local AI" side panel, the "Explain cell"
 * and "Fix cell" commands (menu, cell toolbar, shortcuts), "Fix with Local AI" on error
 * outputs, the review of a replacement as a diff, the renderer of the magics' answers, and
 * inline completion (a provider of JupyterLab's inline completer).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { AgentSession } from './agentPanel';
import { agentRendererFactory } from './agentRenderer';
import { ask, cancelRequest } from './api';
import {
  copyCode,
  currentNotebook,
  insertBelow,
  locateNode
} from './cellActions';
import { splitMessage } from './codeblocks';
import { outputText } from './context';
import { ContextProvider } from './contextProvider';
import { fixableOutputFactories } from './errorOutput';
import { registerInlineCompletion } from './inlineCompletion';
import { KernelAskBackend } from './kernelAsk';
import { replyRendererFactory } from './mimeRenderer';
import { ChatModel } from './model';
import { LocalAIPanel } from './panel';
import { ConversationStore } from './persistence';
import { IReplaceableSource, IReviewTarget, ReviewModel } from './review';
import { TRANSLATION_DOMAIN } from './translation';
import { IChatMessage, Task } from './types';

const PLUGIN_ID = 'jupyter-localai:plugin';

export namespace CommandIDs {
  export const open = 'localai:open-panel';
  export const explainCell = 'localai:explain-cell';
  export const fixCell = 'localai:fix-cell';
}

const sparkSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" fill="#616161" d="M12 2l2.2 6.3L20 10l-5.8 1.7L12 18l-2.2-6.3L4 10l5.8-1.7z' +
  'M19 15l.9 2.1L22 18l-2.1.9L19 21l-.9-2.1L16 18l2.1-.9z"/></svg>';

export const localAIIcon = new LabIcon({ name: 'jupyter-localai:icon', svgstr: sparkSvg });

function notifyError(reason: unknown): void {
  Notification.error(`Local AI: ${(reason as Error)?.message ?? reason}`, {
    autoClose: 6000
  });
}

/** A cell of a notebook, found again by its id when the review is accepted. */
function cellTarget(
  app: JupyterFrontEnd,
  notebook: NotebookPanel,
  cellId: string
): IReviewTarget {
  const find = () =>
    notebook.isDisposed ? -1 : notebook.content.widgets.findIndex(c => c.model.id === cellId);
  return {
    resolve: () => {
      const index = find();
      return index < 0
        ? null
        : (notebook.content.widgets[index].model.sharedModel as unknown as IReplaceableSource);
    },
    reveal: () => {
      const index = find();
      if (index >= 0) {
        app.shell.activateById(notebook.id);
        notebook.content.activeCellIndex = index;
        notebook.content.mode = 'command';
        notebook.content.activeCell?.node.focus();
      }
    }
  };
}

/** The first code block of a finished answer: what a fix proposes for the cell. */
function proposedCode(answer: IChatMessage | null): string | null {
  if (!answer || answer.state !== 'done') {
    return null;
  }
  for (const segment of splitMessage(answer.content)) {
    if (segment.kind === 'code' && segment.code.trim()) {
      return segment.code.replace(/\s+$/, '');
    }
  }
  return null;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A side panel chat with a local model that knows the active notebook.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry,
    ITranslator,
    IStateDB,
    ICompletionProviderManager
  ],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    stateDB: IStateDB | null,
    completionManager: ICompletionProviderManager | null
  ) => {
    const trans: TranslationBundle = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);

    // Keyed by the server's base URL too: servers on one origin share localStorage.
    const store = new ConversationStore(window.localStorage, PageConfig.getBaseUrl());
    const kernelBackend = new KernelAskBackend(
      () => tracker.currentWidget?.sessionContext.session?.kernel ?? null
    );
    const chat = new ChatModel(
      {
        ask: (body, onEvent, signal) => ask(body, onEvent, signal),
        cancel: requestId => cancelRequest(requestId)
      },
      store,
      kernelBackend
    );
    const context = new ContextProvider(tracker);
    if (completionManager) {
      registerInlineCompletion(completionManager, tracker, context, localAIIcon);
    }
    const review = new ReviewModel();

    /** Show the diff of `code` against a cell, with Accept / Reject, in the panel. */
    const offerReview = (notebook: NotebookPanel, index: number, code: string) => {
      const cell = notebook.content.widgets[index];
      if (!cell) {
        throw new Error(trans.__('The cell is gone.'));
      }
      review.open({
        label: trans.__('cell %1 of %2', index + 1, PathExt.basename(notebook.context.path)),
        oldSource: cell.model.sharedModel.getSource(),
        newSource: code,
        target: cellTarget(app, notebook, cell.model.id)
      });
    };

    // The magics' answers in cell outputs: "Replace cell" shows the diff in the panel too.
    rendermime.addFactory(
      replyRendererFactory(rendermime, tracker, (where, code) => {
        offerReview(where.panel, where.index, code);
        app.shell.activateById(panel.id);
      }),
      40
    );

    // `%%ai agent` runs in cell outputs, and the panel's "Agent" task: the agent view.
    rendermime.addFactory(agentRendererFactory(tracker, review), 40);
    const agent = new AgentSession(review, notebook => app.shell.activateById(notebook.id));

    const options = {
      agent,
      notebook: () => tracker.currentWidget,
      chat,
      context,
      rendermime,
      review,
      trans,
      state: stateDB,
      pollInterval: 3000,
      maxTokens: 512,
      actions: {
        insertBelow: (code: string) => {
          try {
            insertBelow(currentNotebook(tracker).content, code);
          } catch (reason) {
            notifyError(reason);
          }
        },
        // Replacing shows the diff first; the cell changes only on Accept.
        replaceCell: (code: string) => {
          try {
            const notebook = currentNotebook(tracker);
            const index = notebook.content.activeCellIndex;
            if (index < 0) {
              throw new Error(trans.__('Select a cell first.'));
            }
            offerReview(notebook, index, code);
            app.shell.activateById(panel.id);
          } catch (reason) {
            notifyError(reason);
          }
        },
        copy: (code: string) => copyCode(code)
      }
    };
    const panel = new LocalAIPanel(options);
    panel.title.icon = localAIIcon;

    let side: 'left' | 'right' = 'right';
    if (settingRegistry) {
      try {
        const settings = await settingRegistry.load(PLUGIN_ID);
        const read = () => {
          options.pollInterval = settings.get('statusPollSeconds').composite as number * 1000;
          options.maxTokens = settings.get('maxTokens').composite as number;
          side = settings.get('side').composite as 'left' | 'right';
        };
        read();
        settings.changed.connect(() => {
          read();
          panel.update();
        });
      } catch (reason) {
        console.warn('jupyter-localai: settings could not be loaded', reason);
      }
    }
    app.shell.add(panel, side, { rank: 900 });
    restorer?.add(panel, 'jupyter-localai-panel');

    const followNotebook = () => chat.setPath(tracker.currentWidget?.context.path ?? null);
    tracker.currentChanged.connect(followNotebook);
    tracker.widgetAdded.connect((_, nb) => {
      nb.context.pathChanged.connect((_, newPath) => {
        const oldPath = chat.path;
        if (oldPath && tracker.currentWidget === nb && oldPath !== newPath) {
          store.rename(oldPath, newPath);
          chat.setPath(newPath);
        }
      });
    });
    followNotebook();

    /**
     * Ask about a cell (the active one, or `where`, e.g. the cell of an error output).
     * `verify` (the Fix command's argument) sets the panel's Verify box first; a fix that
     * arrives with code is offered as a diff of the cell (nothing changes until Accept).
     */
    const askAboutCell = async (
      task: Task,
      verify?: unknown,
      where?: { panel: NotebookPanel; index: number }
    ) => {
      const notebook = where?.panel ?? currentNotebook(tracker);
      if (where) {
        if (tracker.currentWidget !== notebook) {
          app.shell.activateById(notebook.id);
        }
        notebook.content.activeCellIndex = where.index;
      }
      const cell = notebook.content.activeCell;
      if (!cell) {
        throw new Error(trans.__('Select a cell first.'));
      }
      const source = cell.model.sharedModel.getSource();
      if (!source.trim()) {
        throw new Error(trans.__('The active cell is empty.'));
      }
      app.shell.activateById(panel.id);
      if (chat.busy) {
        throw new Error(trans.__('An answer is still coming: stop it first.'));
      }
      await context.refresh(source);
      panel.task = task;
      if (typeof verify === 'boolean') {
        panel.verify = verify;
      }
      const outputs = (cell.model.toJSON() as { outputs?: { [key: string]: unknown }[] })
        .outputs ?? [];
      const cellId = cell.model.id;
      const answer = await panel.ask(task, '', {
        display:
          (task === 'fix' ? trans.__('Fix this cell:') : trans.__('Explain this cell:')) +
          `\n\n${source}`,
        targetSource: source,
        targetOutput: outputText(outputs)
      });
      const code = task === 'fix' ? proposedCode(answer) : null;
      const index = notebook.content.widgets.findIndex(c => c.model.id === cellId);
      if (code !== null && index >= 0 && code !== source.replace(/\s+$/, '')) {
        offerReview(notebook, index, code);
      }
    };

    // "Fix with Local AI" under every error output (and tracebacks on stderr).
    const fixOutput = (node: HTMLElement) => {
      const where = locateNode(tracker, node);
      if (!where) {
        notifyError(new Error(trans.__('This output is not in an open notebook.')));
        return;
      }
      askAboutCell('fix', undefined, where).catch(notifyError);
    };
    for (const { factory, rank } of fixableOutputFactories(rendermime, fixOutput, trans)) {
      rendermime.addFactory(factory, rank);
    }

    app.commands.addCommand(CommandIDs.open, {
      label: trans.__('Open the Local AI panel'),
      icon: localAIIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.explainCell, {
      label: trans.__('Explain cell with Local AI'),
      caption: trans.__('Ask the local model to explain the active cell'),
      icon: localAIIcon,
      isEnabled: () => !!tracker.activeCell,
      execute: () => askAboutCell('explain').catch(notifyError)
    });
    app.commands.addCommand(CommandIDs.fixCell, {
      label: trans.__('Fix cell with Local AI'),
      caption: trans.__(
        "Ask the local model to fix the active cell (uses its error); with the panel's Verify box ticked, each candidate runs in a copy of the kernel first"
      ),
      icon: localAIIcon,
      isEnabled: () => !!tracker.activeCell,
      execute: args => askAboutCell('fix', args.verify).catch(notifyError)
    });

    const category = trans.__('Local AI');
    for (const command of [CommandIDs.open, CommandIDs.explainCell, CommandIDs.fixCell]) {
      palette?.addItem({ command, category });
    }
    app.contextMenu.addItem({
      command: CommandIDs.explainCell,
      selector: '.jp-Notebook .jp-Cell',
      rank: 20
    });
    app.contextMenu.addItem({
      command: CommandIDs.fixCell,
      selector: '.jp-Notebook .jp-Cell',
      rank: 21
    });
  }
};

export default plugin;
