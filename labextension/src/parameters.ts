/** Pipeline parameter values typed in the panel, turned into the run's overrides. */
import { IParameter } from './wire';

/** Typed overrides for the parameters the user changed; untouched ones keep their default. */
export function parameterOverrides(
  parameters: ReadonlyArray<IParameter>,
  values: Record<string, string>
): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const parameter of parameters) {
    const text = values[parameter.name];
    if (text === undefined || text === String(parameter.default)) {
      continue;
    }
    overrides[parameter.name] = typedValue(parameter.type, text);
  }
  return overrides;
}

function typedValue(type: string, text: string): unknown {
  if (type === 'str') {
    return text;
  }
  if (type === 'bool') {
    return /^(true|1|yes)$/i.test(text.trim());
  }
  if ((type === 'int' || type === 'float') && text.trim() !== '' && !isNaN(Number(text))) {
    return Number(text);
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
