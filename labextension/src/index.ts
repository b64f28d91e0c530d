/**
 * jupyter-localai's JupyterLab extension: the "Local AI" side panel, the "Explain cell"
 * and "Fix cell" commands, the renderer of the magics' answers, and inline completion
 * (a provider of JupyterLab's inline completer).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { LabIcon } from '@jupyterlab/ui-components';

import { ask, cancelRequest } from './api';
import {
  copyCode,
  currentNotebook,
  insertBelow,
  replaceCell
} from './cellActions';
import { outputText } from './context';
import { ContextProvider } from './contextProvider';
import { registerInlineCompletion } from './inlineCompletion';
import { KernelAskBackend } from './kernelAsk';
import { replyRendererFactory } from './mimeRenderer';
import { ChatModel } from './model';
import { LocalAIPanel } from './panel';
import { ConversationStore } from './persistence';
import { Task } from './types';

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

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'A side panel chat with a local model that knows the active notebook.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry],
  optional: [ICommandPalette, ILayoutRestorer, ISettingRegistry, ICompletionProviderManager],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    completionManager: ICompletionProviderManager | null
  ) => {
    rendermime.addFactory(replyRendererFactory(rendermime, tracker), 40);

    const store = new ConversationStore(window.localStorage);
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
    const options = {
      chat,
      context,
      rendermime,
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
        replaceCell: (code: string) => {
          try {
            replaceCell(currentNotebook(tracker).content, code);
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

    /** `verify` (the Fix command's argument) sets the panel's Verify box first. */
    const askAboutCell = async (task: Task, verify?: unknown) => {
      const notebook = currentNotebook(tracker);
      const cell = notebook.content.activeCell;
      if (!cell) {
        throw new Error('Select a cell first.');
      }
      const source = cell.model.sharedModel.getSource();
      if (!source.trim()) {
        throw new Error('The active cell is empty.');
      }
      app.shell.activateById(panel.id);
      if (chat.busy) {
        throw new Error('An answer is still coming: stop it first.');
      }
      await context.refresh(source);
      panel.task = task;
      if (typeof verify === 'boolean') {
        panel.verify = verify;
      }
      const outputs = (cell.model.toJSON() as { outputs?: { [key: string]: unknown }[] })
        .outputs ?? [];
      const verb = task === 'fix' ? 'Fix' : 'Explain';
      await panel.ask(task, '', {
        display: `${verb} this cell:\n\n${source}`,
        targetSource: source,
        targetOutput: outputText(outputs)
      });
    };

    app.commands.addCommand(CommandIDs.open, {
      label: 'Open the Local AI panel',
      icon: localAIIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.explainCell, {
      label: 'Explain cell with Local AI',
      caption: 'Ask the local model to explain the active cell',
      icon: localAIIcon,
      isEnabled: () => !!tracker.activeCell,
      execute: () => askAboutCell('explain').catch(notifyError)
    });
    app.commands.addCommand(CommandIDs.fixCell, {
      label: 'Fix cell with Local AI',
      caption:
        "Ask the local model to fix the active cell (uses its error); with the panel's " +
        'Verify box ticked, each candidate runs in a copy of the kernel first',
      icon: localAIIcon,
      isEnabled: () => !!tracker.activeCell,
      execute: args => askAboutCell('fix', args.verify).catch(notifyError)
    });

    const category = 'Local AI';
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
