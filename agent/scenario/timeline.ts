/**
 * The replay's result: for each link of the chain, when its cause began, when
 * Tidemark paged and with what words, and how long before the outage that
 * was. Pure: the scenario's links and the alerts seen at the server in, the
 * timeline (and its text) out.
 */

/** An alert as /api/alerts lists it, with its firing time moved onto the scenario's clock. */
export interface SeenPage {
  rule: string;
  host: string;
  /** Scenario epoch ms. */
  firedAt: number;
  summary: string;
  facts: string[];
}

export interface TimelineLink {
  link: string;
  rule: string;
  host: string;
  cause_at: number;
  /** null when nothing paged. */
  paged_at: number | null;
  outage_at: number;
  /** The page's words: its summary, then its facts. */
  alert: string | null;
  /** The same words in parts: the summary line and each fact. */
  summary: string | null;
  facts: string[];
}

export interface Timeline {
  links: TimelineLink[];
  outage: { at: number; what: string; pages: TimelineLink[] };
  notes: { at: number; what: string }[];
}

export function pageWords(p: SeenPage): string {
  return p.facts.length ? `${p.summary} — ${p.facts.join('; ')}` : p.summary;
}

/** The first page of `rule` on `host` at or after `from`. */
function firstPage(pages: SeenPage[], rule: string, host: string, from: number): SeenPage | null {
  let best: SeenPage | null = null;
  for (const p of pages)
    if (p.rule === rule && p.host === host && p.firedAt >= from && (!best || p.firedAt < best.firedAt)) best = p;
  return best;
}

export function buildTimeline(
  links: { link: string; rule: string; host: string; causeAt: number }[],
  outage: { at: number; what: string; pages: { rule: string; host: string }[] },
  notes: { at: number; what: string }[],
  pages: SeenPage[],
): Timeline {
  const entry = (link: string, rule: string, host: string, causeAt: number): TimelineLink => {
    const p = firstPage(pages, rule, host, causeAt);
    return {
      link,
      rule,
      host,
      cause_at: causeAt,
      paged_at: p?.firedAt ?? null,
      outage_at: outage.at,
      alert: p ? pageWords(p) : null,
      summary: p?.summary ?? null,
      facts: p?.facts ?? [],
    };
  };
  return {
    links: links.map((l) => entry(l.link, l.rule, l.host, l.causeAt)),
    outage: {
      at: outage.at,
      what: outage.what,
      pages: outage.pages.map((p) => entry(`${p.rule} on ${p.host}`, p.rule, p.host, outage.at)),
    },
    notes,
  };
}

/** "4 d 17 h 50 min", "5 h 12 min", "45 s". */
export function lead(ms: number): string {
  const neg = ms < 0 ? '−' : '';
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${neg}${s} s`;
  const mins = Math.round(s / 60);
  const d = Math.floor(mins / 1440);
  const h = Math.floor((mins % 1440) / 60);
  return neg + [d ? `${d} d` : '', h ? `${h} h` : '', `${mins % 60} min`].filter(Boolean).join(' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "Tue 21 14:02:30" in local time (seconds only when not zero). */
export function when(ms: number): string {
  const d = new Date(ms);
  const sec = d.getSeconds() ? `:${pad(d.getSeconds())}` : '';
  return `${DAYS[d.getDay()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}${sec}`;
}

function pageLines(l: TimelineLink): string[] {
  if (l.summary === null) return [];
  return [`   page    ${l.summary}`, ...l.facts.map((f) => `           • ${f}`)];
}

/** The timeline for people: one block per link, the story's notes in place, then the outage and its pages. */
export function timelineText(t: Timeline, title: string): string {
  const out = [title, ''];
  const items: { at: number; lines: string[] }[] = t.links.map((l, i) => ({
    at: l.cause_at,
    lines: [
      `${i + 1}. ${l.link}`,
      `   cause   ${when(l.cause_at)}`,
      l.paged_at === null
        ? `   paged   never (${l.rule} on ${l.host} did not fire)`
        : `   paged   ${when(l.paged_at)}, ${lead(l.outage_at - l.paged_at)} before the outage (${l.rule} on ${l.host})`,
      ...pageLines(l),
    ],
  }));
  for (const n of t.notes) items.push({ at: n.at, lines: [`-- ${when(n.at)} ${n.what}`] });
  items.sort((a, b) => a.at - b.at);
  for (const it of items) out.push(...it.lines, '');
  out.push(`OUTAGE  ${when(t.outage.at)}: ${t.outage.what}`);
  for (const p of t.outage.pages)
    out.push(
      ...(p.paged_at === null
        ? [`   ${p.link}: not paged`]
        : [`   paged   ${when(p.paged_at)} (${p.rule} on ${p.host})`, ...pageLines(p)]),
    );
  return out.join('\n');
}
