import { IModelInfo } from './types';

/** The picker's line for a model: its name, where it was found and its size. */
export function modelLabel(model: IModelInfo): string {
  const notes: string[] = [];
  if (model.source && model.source !== 'registry') {
    notes.push(model.source);
  }
  if (typeof model.size_bytes === 'number' && model.source !== 'registry') {
    notes.push(
      model.size_bytes >= 2 ** 30
        ? `${(model.size_bytes / 2 ** 30).toFixed(1)} GiB`
        : model.size_bytes >= 2 ** 20
          ? `${Math.round(model.size_bytes / 2 ** 20)} MiB`
          : '<1 MiB'
    );
  }
  if (model.header_ok === false) {
    notes.push('fails the header check');
  } else if (model.available === false) {
    notes.push('not available');
  }
  return notes.length ? `${model.name} (${notes.join(', ')})` : model.name;
}
