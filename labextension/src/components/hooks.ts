/** React hooks of the panel: re-render on a Lumino signal; poll the server's status. */
import { Poll } from '@lumino/polling';
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { getStatus } from '../api';
import { IStatus } from '../types';

/** Subscribe a component to a Lumino signal owner. */
export function useSignal(owner: { changed: ISignal<unknown, void> }): void {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setTick(t => t + 1);
    owner.changed.connect(bump);
    return () => {
      owner.changed.disconnect(bump);
    };
  }, [owner]);
}

/**
 * The server's model status, polled with @lumino/polling: every `pollInterval` ms, faster
 * while a model loads, backing off after failures, and standing by while the browser tab
 * is hidden (a background tab asks nothing of the server).
 */
export function useStatus(pollInterval: number): {
  status: IStatus | null;
  error: string;
  refresh: () => void;
} {
  const [status, setStatus] = React.useState<IStatus | null>(null);
  const [error, setError] = React.useState('');
  const poll = React.useRef<Poll | null>(null);
  React.useEffect(() => {
    const interval = Math.max(pollInterval, 250);
    const next = new Poll({
      auto: true,
      factory: async () => {
        let value: IStatus;
        try {
          value = await getStatus();
        } catch (reason) {
          setError((reason as Error).message);
          throw reason; // the poll backs off
        }
        setStatus(value);
        setError('');
        const wanted = value.state === 'loading' ? Math.min(interval, 1000) : interval;
        if (next.frequency.interval !== wanted) {
          next.frequency = { ...next.frequency, interval: wanted };
        }
        return value;
      },
      frequency: { interval, backoff: true, max: interval * 3 },
      name: 'jupyter-localai:status',
      standby: 'when-hidden'
    });
    poll.current = next;
    return () => {
      poll.current = null;
      next.dispose();
    };
  }, [pollInterval]);
  const refresh = React.useCallback(() => void poll.current?.refresh(), []);
  return { status, error, refresh };
}
