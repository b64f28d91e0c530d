/** A recorded agent run for the agent view's tests. */

/** A run as `AgentRun.to_json()` writes it (docs/architecture.md, "Agent mode"). */
export function sampleRun(): { [key: string]: unknown } {
  return {
    version: 1,
    goal: 'load the data and plot it',
    model: 'qwen2.5-coder-0.5b',
    status: 'done',
    message: null,
    plan: ['Load the data', 'Fix the loading cell', 'Plot it'],
    steps: [
      {
        index: 1,
        title: 'Load the data',
        status: 'ran',
        decision: 'pending',
        kind: 'new',
        code: 'import pandas as pd\ndf = pd.DataFrame({"a": [1, 2]})\ndf.head()',
        target: null,
        diff: null,
        output: { text: '   a\n0  1\n1  2', figures: [], error: null, stopped: null, refusals: [] },
        attempts: [{ code: 'df = pd.read_csv("x")', problem: 'FileNotFoundError' }, { code: 'df = ...', problem: null }],
        seconds: 1.5
      },
      {
        index: 2,
        title: 'Fix the loading cell',
        status: 'ran',
        decision: 'pending',
        kind: 'edit',
        code: 'values = [3, 1, 2]\n',
        target: { execution_count: 1, source: 'values = [3, 1, 2' },
        diff: '--- In[1]\n+++ In[1] (step 2)\n',
        output: { text: '', figures: [], error: null, stopped: null, refusals: [] },
        attempts: [{ code: 'values = [3, 1, 2]\n', problem: null }],
        seconds: 0.4
      },
      {
        index: 3,
        title: 'Plot it',
        status: 'ran',
        decision: 'pending',
        kind: 'new',
        code: 'df.plot()',
        target: null,
        diff: null,
        output: { text: '', figures: ['line chart: 1 line, x "index"'], error: null, stopped: null, refusals: [] },
        attempts: [{ code: 'df.plot()', problem: null }],
        seconds: 0.9
      }
    ],
    copy: { step_timeout_s: 30, network: false, writes_files: false, processes: false },
    timings: { total_s: 12.3, model_s: 10.1, copy_s: 2.2 }
  };
}
