import { AgentRunError, isOffered, readAgentRun } from '../agentRun';
import { sampleRun } from './agentFixture';

describe('readAgentRun', () => {
  it('reads a whole run as the kernel writes it', () => {
    const run = readAgentRun(sampleRun());
    expect(run.plan).toEqual(['Load the data', 'Fix the loading cell', 'Plot it']);
    expect(run.steps.map(s => [s.index, s.kind, s.status])).toEqual([
      [1, 'new', 'ran'],
      [2, 'edit', 'ran'],
      [3, 'new', 'ran']
    ]);
    expect(run.steps[1].target).toEqual({ execution_count: 1, source: 'values = [3, 1, 2' });
    expect(run.steps[0].attempts[0].problem).toBe('FileNotFoundError');
    expect(run.steps[0].attempts[1].problem).toBeNull();
    expect(run.steps[2].output.figures).toEqual(['line chart: 1 line, x "index"']);
    expect(run.timings.copy_s).toBeCloseTo(2.2);
    expect(run.copy.network).toBe(false);
  });

  it('refuses another version with a sentence saying what to update', () => {
    expect(() => readAgentRun({ ...sampleRun(), version: 2 })).toThrow(/version 2.*version 1/);
    expect(() => readAgentRun({ ...sampleRun(), version: undefined })).toThrow(AgentRunError);
  });

  it.each([
    ['not an object', 'run'],
    ['a list', []],
    ['null', null]
  ])('refuses a bundle that is %s', (_what, data) => {
    expect(() => readAgentRun(data)).toThrow(AgentRunError);
  });

  it('refuses wrong types instead of guessing', () => {
    expect(() => readAgentRun({ ...sampleRun(), status: 3 })).toThrow(/status/);
    expect(() => readAgentRun({ ...sampleRun(), status: '<b>x</b>' })).toThrow(/status/);
    const steps = sampleRun().steps as { [key: string]: unknown }[];
    expect(() =>
      readAgentRun({ ...sampleRun(), steps: [{ ...steps[0], status: null }] })
    ).toThrow(/step 1\.status/);
    expect(() =>
      readAgentRun({ ...sampleRun(), steps: [{ ...steps[0], code: 42 }] })
    ).toThrow(/step 1\.code/);
    expect(() => readAgentRun({ ...sampleRun(), plan: 'one step' })).toThrow(/plan/);
    expect(() => readAgentRun({ ...sampleRun(), steps: {} })).toThrow(/steps/);
  });

  it('refuses an edit that names no cell', () => {
    const steps = sampleRun().steps as { [key: string]: unknown }[];
    expect(() =>
      readAgentRun({ ...sampleRun(), steps: [{ ...steps[1], target: null }] })
    ).toThrow(/edit that names no cell/);
    expect(() =>
      readAgentRun({ ...sampleRun(), steps: [{ ...steps[1], target: { execution_count: 'x' } }] })
    ).toThrow(/execution_count/);
  });

  it('keeps markup in model text as plain text (the view renders text nodes)', () => {
    const hostile = '<img src=x onerror="alert(1)"> **bold** [link](http://x)';
    const run = readAgentRun({ ...sampleRun(), goal: hostile, plan: [hostile] });
    expect(run.goal).toBe(hostile);
    expect(run.plan[0]).toBe(hostile);
  });

  it('keeps a status word it does not know, and offers no step with one', () => {
    const steps = sampleRun().steps as { [key: string]: unknown }[];
    const run = readAgentRun({
      ...sampleRun(),
      status: 'paused',
      steps: [{ ...steps[0], status: 'queued' }, { ...steps[2], status: 'skipped', code: '' }]
    });
    expect(run.status).toBe('paused');
    expect(run.steps.map(s => s.status)).toEqual(['queued', 'skipped']);
    expect(run.steps.map(isOffered)).toEqual([false, false]);
  });

  it('offers only steps that ran in the copy', () => {
    const steps = sampleRun().steps as { [key: string]: unknown }[];
    const run = readAgentRun({
      ...sampleRun(),
      status: 'failed',
      steps: [steps[0], { ...steps[2], status: 'failed' }]
    });
    expect(run.steps.map(isOffered)).toEqual([true, false]);
  });
});
