/** Replaces every occurrence of the secret(s) in `text` with `***`. */
export type Redact = (text: string) => string;

/**
 * The one redactor for what the CLI writes. Each secret is replaced both as it is and as it appears inside a
 * JSON string (log fields, `--json` status lines), where quotes, backslashes and control characters are escaped.
 */
export function createRedactor(secrets: readonly string[]): Redact {
  const forms = [...new Set(secrets.filter((s) => s !== '').flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  // Longest first, so a form that contains another is replaced whole.
  forms.sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of forms) out = out.split(form).join('***');
    return out;
  };
}
