/** The model picker: the server's models; choosing one switches the resident model. */
import * as React from 'react';

import { getModels, selectModel } from '../api';
import { modelLabel } from '../modelLabel';
import { useTrans } from '../translation';
import { IModelList, IStatus } from '../types';

export function ModelPicker(props: {
  status: IStatus | null;
  onChanged: () => void;
}): JSX.Element | null {
  const trans = useTrans();
  const [models, setModels] = React.useState<IModelList | null>(null);
  const [error, setError] = React.useState('');
  const current = props.status?.model ?? null;
  React.useEffect(() => {
    getModels()
      .then(list => {
        setModels(list);
        setError('');
      })
      .catch(reason => setError((reason as Error).message));
  }, [current]);
  if (error || !models || models.models.length === 0) {
    return null;
  }
  const onChange = (event: React.ChangeEvent<HTMLSelectElement>) => {
    const name = event.target.value;
    selectModel(name)
      .then(() => props.onChanged())
      .catch(reason => setError((reason as Error).message));
  };
  return (
    <select
      className="jp-localai-model-picker"
      title={trans.__('The model that answers (switching loads it)')}
      aria-label={trans.__('Model')}
      value={models.current ?? ''}
      onChange={onChange}
    >
      {models.current === null && <option value="">{trans.__('(no model)')}</option>}
      {models.models.map(m => (
        <option
          key={m.name}
          value={m.name}
          disabled={m.available === false}
          title={[m.description, m.path].filter(Boolean).join('\n')}
        >
          {modelLabel(m)}
        </option>
      ))}
    </select>
  );
}
