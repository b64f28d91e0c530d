/** React hooks of the panel: re-render on a Lumino signal; poll the server's status. */
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

export function useStatus(pollInterval: number): {
  status: IStatus | null;
  error: string;
  refresh: () => void;
} {
  const [status, setStatus] = React.useState<IStatus | null>(null);
  const [error, setError] = React.useState('');
  const [nonce, setNonce] = React.useState(0);
  React.useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let delay = pollInterval;
      try {
        const next = await getStatus();
        if (stopped) {
          return;
        }
        setStatus(next);
        setError('');
        if (next.state === 'loading') {
          delay = Math.min(pollInterval, 1000);
        }
      } catch (reason) {
        if (stopped) {
          return;
        }
        setError((reason as Error).message);
        delay = pollInterval * 3;
      }
      timer = setTimeout(poll, delay);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [pollInterval, nonce]);
  return { status, error, refresh: () => setNonce(n => n + 1) };
}
