import { isTracebackText, offersFix } from '../errorOutput';

describe('offersFix', () => {
  it('offers a fix on an error output, whichever of its types renders it', () => {
    expect(
      offersFix({
        'application/vnd.jupyter.error': { ename: 'NameError', evalue: 'x', traceback: [] },
        'application/vnd.jupyter.stderr': 'NameError: x'
      })
    ).toBe(true);
  });

  it('offers a fix on stderr holding a traceback (ANSI colours and all), not on warnings', () => {
    const ipython = '\x1b[31mNameError\x1b[39m   Traceback (most recent call last)\nCell In[2]';
    expect(isTracebackText(ipython)).toBe(true);
    expect(offersFix({ 'application/vnd.jupyter.stderr': 'Traceback (most recent call last):\n  File "x"' })).toBe(true);
    expect(offersFix({ 'application/vnd.jupyter.stderr': 'UserWarning: careful\n' })).toBe(false);
    expect(offersFix({ 'text/plain': 'Traceback (most recent call last):' })).toBe(false);
  });
});
