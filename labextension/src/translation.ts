/**
 * The panel's translation bundle, handed to its React components through a context (the
 * plugin loads it from ITranslator; without one, and in unit tests, strings stay English).
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

export const TRANSLATION_DOMAIN = 'jupyter_localai';

export const TransContext = React.createContext<TranslationBundle>(
  nullTranslator.load(TRANSLATION_DOMAIN)
);

/** The bundle of the nearest TransContext provider. */
export function useTrans(): TranslationBundle {
  return React.useContext(TransContext);
}
