/**
 * Timestamp styles: recognise how a log line writes its time (ISO 8601 and SQL-like variants,
 * log4j commas, nginx slashes, CLF, syslog, ctime, epoch numbers) and write any instant the same
 * way. Styles are small patterns (`YYYY-MM-DD hh:mm:ss,f3`) so profiles can store them. Pure.
 *
 * Pattern tokens: `YYYY` `MM` `DD` (zero-padded), `D_` (day padded with a space), `Dn` (unpadded
 * day), `Mon` (Jan..Dec), `Day` (Sun..Sat), `hh` `mm` `ss`, `f1`..`f9` (fraction digits; below a
 * millisecond they are written as zeros). Everything else is literal. Epoch styles: `epoch-s`,
 * `epoch-s3` (seconds with 3 decimals), `epoch-ms`, `epoch-us`, `epoch-ns`. All in UTC; a zone
 * offset is kept as text (`+00:00`) and written for UTC.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const TOKEN = /YYYY|Mon|Day|DD|D_|Dn|MM|hh|mm|ss|f[1-9]/g;

type Piece = string | ((d: Date, ms: number) => string);

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

function piece(token: string): Piece {
  switch (token) {
    case 'YYYY':
      return (d) => String(d.getUTCFullYear());
    case 'MM':
      return (d) => pad2(d.getUTCMonth() + 1);
    case 'DD':
      return (d) => pad2(d.getUTCDate());
    case 'D_':
      return (d) => (d.getUTCDate() < 10 ? ' ' + d.getUTCDate() : String(d.getUTCDate()));
    case 'Dn':
      return (d) => String(d.getUTCDate());
    case 'Mon':
      return (d) => MONTHS[d.getUTCMonth()];
    case 'Day':
      return (d) => DAYS[d.getUTCDay()];
    case 'hh':
      return (d) => pad2(d.getUTCHours());
    case 'mm':
      return (d) => pad2(d.getUTCMinutes());
    case 'ss':
      return (d) => pad2(d.getUTCSeconds());
    default: {
      const n = Number(token.slice(1));
      return (_d, ms) => (String(((ms % 1000) + 1000) % 1000).padStart(3, '0') + '000000').slice(0, n);
    }
  }
}

const compiled = new Map<string, Piece[]>();

function compile(style: string): Piece[] {
  let c = compiled.get(style);
  if (c) return c;
  c = [];
  let last = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(style); m; m = TOKEN.exec(style)) {
    if (m.index > last) c.push(style.slice(last, m.index));
    c.push(piece(m[0]));
    last = m.index + m[0].length;
  }
  if (last < style.length) c.push(style.slice(last));
  if (compiled.size > 256) compiled.clear();
  compiled.set(style, c);
  return c;
}

/**
 * Writes an instant in a style.
 * @param style - a pattern or epoch style (see the module docs)
 * @param t - epoch milliseconds
 */
export function renderTime(style: string, t: number): string {
  switch (style) {
    case 'epoch-s':
      return String(Math.floor(t / 1000));
    case 'epoch-s3':
      return (t / 1000).toFixed(3);
    case 'epoch-ms':
      return String(Math.round(t));
    case 'epoch-us':
      return String(Math.round(t) * 1000);
    case 'epoch-ns':
      return String(Math.round(t)) + '000000';
    default: {
      const d = new Date(t);
      let s = '';
      for (const p of compile(style)) s += typeof p === 'string' ? p : p(d, t);
      return s;
    }
  }
}

const ISO =
  /^(\d{4})([-/])(\d{2})[-/](\d{2})([T ])(\d{2}):(\d{2}):(\d{2})(?:([.,])(\d{1,9}))?(Z|z|\s?(?:UTC|GMT)|\s?[+-]\d{2}:?\d{2})?/;
const CLF = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})( [+-]\d{4})?/;
const SYSLOG = /^([A-Z][a-z]{2}) ( \d|\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?![\d:])/;
const CTIME = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) ([A-Z][a-z]{2}) ( \d|\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))? (\d{4})/;

/** A style found at the start of a text, with the length of the timestamp it matched. */
export interface DetectedTime {
  style: string;
  length: number;
}

function dayToken(day: string): string {
  return day.length === 2 && day[0] === ' ' ? 'D_' : day.length === 1 ? 'Dn' : 'DD';
}

/**
 * Recognises a timestamp at the very start of `text` and returns its style.
 * @returns undefined when the text does not start with a recognisable timestamp
 */
export function detectTimeAt(text: string): DetectedTime | undefined {
  let m = ISO.exec(text);
  if (m) {
    const sep = m[2];
    let style = `YYYY${sep}MM${sep}DD${m[5]}hh:mm:ss`;
    if (m[9]) style += m[9] + 'f' + m[10].length;
    if (m[11]) style += m[11].replace(/\d/g, '0').replace(/^([+-])00(:?)00$/, '+00$200').replace(/^(\s?)-/, '$1+');
    return { style, length: m[0].length };
  }
  m = CLF.exec(text);
  if (m && MONTHS.includes(m[2])) return { style: 'DD/Mon/YYYY:hh:mm:ss' + (m[7] ? ' +0000' : ''), length: m[0].length };
  m = CTIME.exec(text);
  if (m && MONTHS.includes(m[2])) {
    return { style: `Day Mon ${dayToken(m[3])} hh:mm:ss${m[7] ? '.f' + m[7].length : ''} YYYY`, length: m[0].length };
  }
  m = SYSLOG.exec(text);
  if (m && MONTHS.includes(m[1])) {
    return { style: `Mon ${dayToken(m[2])} hh:mm:ss${m[6] ? '.f' + m[6].length : ''}`, length: m[0].length };
  }
  return undefined;
}

/**
 * Style of a whole value: a timestamp string (all of it) or an epoch number (by magnitude, years
 * 2001..2286, as parse.ts reads them).
 * @returns undefined when the value is not a timestamp
 */
export function detectTimeValue(value: string | number): string | undefined {
  if (typeof value === 'number' || /^\d+(?:\.\d+)?$/.test(value)) {
    const s = String(value);
    const n = Number(s);
    if (!Number.isFinite(n)) return undefined;
    if (n >= 1e9 && n < 1e10) return s.includes('.') ? (s.split('.')[1].length === 3 ? 'epoch-s3' : undefined) : 'epoch-s';
    if (s.includes('.')) return undefined;
    if (n >= 1e12 && n < 1e13) return 'epoch-ms';
    if (n >= 1e15 && n < 1e16) return 'epoch-us';
    if (n >= 1e18 && n < 1e19) return 'epoch-ns';
    return undefined;
  }
  const d = detectTimeAt(value);
  return d && d.length === value.length ? d.style : undefined;
}
