/**
 * Redaction of secrets in sample log lines before they leave the pipeline (anomalies, alerts).
 * Conservative: it prefers masking a harmless value over leaking a secret.
 */

/** The replacement for a secret value. */
export const REDACTED = '[REDACTED]';

/** Key names (substring match) whose values are secrets. */
const SECRET_KEY =
  '[\\w.-]*?(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential|authorization|auth[_-]?key|session[_-]?id|cookie)[\\w.-]*';

const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const AUTH_SCHEME = /\b(Bearer|Basic|Digest|Token)(\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{6,}/g;
/** `"password": "..."` in JSON. */
const JSON_SECRET = new RegExp(`("${SECRET_KEY}"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
/** The same inside an escaped JSON string: `\"password\":\"...\"`. */
const ESCAPED_JSON_SECRET = new RegExp(`(\\\\"${SECRET_KEY}\\\\"\\s*:\\s*)\\\\".*?\\\\"`, 'gi');
/** `password=...`, `password: ...`, `?token=...&` (not JSON: no quote between key and separator). */
const KV_SECRET = new RegExp(`(\\b${SECRET_KEY}\\s*[=:]\\s*)("[^"]*"|'[^']*'|(?!\\[REDACTED\\]|(?:Bearer|Basic|Digest|Token)\\s)[^\\s,;&"'}]+)`, 'gi');
const AWS_KEY_ID = /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const EMAIL = /\b[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

/** Luhn checksum over the digits of a candidate card number. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Masks secrets in one line with `[REDACTED]`: private key blocks, JWTs, Authorization
 * Bearer/Basic credentials, secret-named keys in JSON and key=value text, AWS access key ids and a
 * 40-character secret next to one, credit-card-like digit runs passing Luhn. Emails keep their
 * domain only (`***@example.com`).
 * @param line - a raw log line
 * @returns the line with secrets replaced
 */
export function redact(line: string): string {
  if (typeof line !== 'string' || line.length === 0) return line;
  let s = line;
  if (s.includes('PRIVATE KEY-----')) s = s.replace(PRIVATE_KEY_BLOCK, REDACTED);
  if (s.includes('eyJ')) s = s.replace(JWT, REDACTED);
  s = s.replace(AUTH_SCHEME, (_m, scheme: string, sp: string) => `${scheme}${sp}${REDACTED}`);
  if (s.includes('"')) {
    s = s.replace(JSON_SECRET, (_m, key: string) => `${key}"${REDACTED}"`);
    s = s.replace(ESCAPED_JSON_SECRET, (_m, key: string) => `${key}\\"${REDACTED}\\"`);
  }
  s = s.replace(KV_SECRET, (_m, key: string) => `${key}${REDACTED}`);
  if (s.replace(AWS_KEY_ID, REDACTED) !== s) {
    s = s.replace(AWS_KEY_ID, REDACTED).replace(AWS_SECRET, (m) => (/[0-9]/.test(m) && /[A-Za-z]/.test(m) ? REDACTED : m));
  }
  if (s.includes('@')) s = s.replace(EMAIL, (_m, domain: string) => `***@${domain}`);
  s = s.replace(CARD, (m) => {
    const digits = m.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? REDACTED : m;
  });
  return s;
}
