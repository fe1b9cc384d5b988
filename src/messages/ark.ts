import { invalidOption } from '../errors.js';
import type { ArkPayload } from '../bodies/message-bodies.js';

/** An ark message (`msg_type` 3): a template (23 link list, 24 text + thumbnail, 37 large image, …) and its values. */
export interface ArkMessage {
  msg_type: 3;
  ark: ArkPayload;
}

/** A template value: text, or a list of objects (each a set of key → text, e.g. the links of template 23). */
export type ArkValue = string | ReadonlyArray<Readonly<Record<string, string>>>;

/**
 * @example ark(23, { '#DESC#': 'Links', '#PROMPT#': 'Links', '#LIST#': [{ desc: 'Docs' }, { desc: 'Open', link: 'https://q.qq.com' }] })
 */
export function ark(templateId: number, values: Readonly<Record<string, ArkValue>>): ArkMessage {
  if (!Number.isInteger(templateId) || templateId <= 0)
    throw invalidOption('Expected an ark template id to be a positive integer');
  const kv = Object.entries(values ?? {}).map(([key, value]) => {
    if (typeof value === 'string') return { key, value };
    if (!Array.isArray(value)) throw invalidOption(`Expected ark value "${key}" to be a string or an array of objects`);
    return {
      key,
      obj: value.map((o) => ({ obj_kv: Object.entries(o).map(([k, v]) => ({ key: k, value: String(v) })) })),
    };
  });
  return { msg_type: 3, ark: { template_id: templateId, kv } };
}
