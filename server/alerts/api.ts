import path from 'node:path';
import express from 'express';
import { defaultRulesDir } from './ruleset.js';
import { ApiError } from '../api.js';
import { exprMetrics, parseDuration } from './rules.js';
import { MAX_PATTERN_LENGTH, compileFullMatch } from '../../shared/safe-regex.js';
import type { Alerts } from './index.js';
import type { Silence } from './silences.js';
import { errorMessage } from '../../shared/errors.js';

/** /api/alerts, /api/silences, /api/rules: list, silence, acknowledge. */
export function alertsRouter(alerts: Alerts): express.Router {
  const r = express.Router();
  const body = express.json({ limit: '16kb' });

  r.get('/api/alerts', (_req, res) => {
    res.json({
      alerts: alerts.engine.list(),
      silences: alerts.engine.listSilences(),
      notifications: {
        pending: alerts.notifier.pending.length,
        delivered: alerts.notifier.delivered,
        abandoned: alerts.notifier.abandoned,
        rejected: alerts.notifier.rejected,
        rejections: alerts.notifier.rejections,
      },
    });
  });

  // What to do for each shipped rule; notifications link here (runbook: runbooks#rulename) through --external-url.
  r.get('/runbooks', (_req, res) => {
    res.type('text/markdown; charset=utf-8').sendFile(path.join(defaultRulesDir(), 'RUNBOOKS.md'));
  });

  r.get('/api/rules', (_req, res) => {
    res.json({
      files: alerts.ruleSet.status(),
      rules: alerts.ruleSet
        .rules()
        // metric: the first series the rule reads, so the dashboard can show its unit and chart.
        .map((x) => ({
          name: x.name,
          severity: x.severity,
          file: x.file,
          line: x.line,
          summary: x.summary,
          metric:
            (x.when ? exprMetrics(x.when)[0]?.metric : x.absent && 'metric' in x.absent ? x.absent.metric : null) ??
            null,
        })),
    });
  });

  r.post('/api/alerts/:id/ack', (req, res) => {
    if (!alerts.engine.ack(req.params.id)) throw new ApiError(404, 'no such alert (it may have resolved)');
    res.json({ ok: true });
  });

  r.post('/api/silences', body, (req, res) => {
    res.status(201).json(alerts.engine.addSilence(silenceFromBody(req.body, Date.now())));
  });

  r.delete('/api/silences/:id', (req, res) => {
    if (!alerts.engine.expireSilence(req.params.id)) throw new ApiError(404, 'no such silence');
    res.json({ ok: true });
  });
  return r;
}

/** A silence from a POST /api/silences body, or a 400 naming what is wrong. */
function silenceFromBody(raw: unknown, now: number): Omit<Silence, 'id'> {
  const b = (raw ?? {}) as {
    matchers?: unknown;
    duration?: unknown;
    endsAt?: unknown;
    comment?: unknown;
    createdBy?: unknown;
  };
  if (!Array.isArray(b.matchers) || b.matchers.length === 0)
    throw new ApiError(400, 'matchers: a non-empty list of {label, value, regex?}');
  if (b.matchers.length > 20) throw new ApiError(400, 'matchers: at most 20');
  const matchers = b.matchers.map((m: unknown, i: number) => {
    const x = m as { label?: unknown; value?: unknown; regex?: unknown };
    if (typeof x.label !== 'string' || typeof x.value !== 'string' || x.label.length > 128)
      throw new ApiError(400, `matchers[${i}] needs label (at most 128 characters) and value strings`);
    if (x.value.length > MAX_PATTERN_LENGTH)
      throw new ApiError(400, `matchers[${i}]: value longer than ${MAX_PATTERN_LENGTH} characters`);
    if (x.regex) {
      // Checked before it is stored: it runs against every firing alert every second, and survives restarts.
      try {
        compileFullMatch(x.value);
      } catch (e) {
        throw new ApiError(400, `matchers[${i}]: bad regex: ${errorMessage(e)}`);
      }
    }
    return { label: x.label, value: x.value, regex: !!x.regex };
  });
  const endsAt =
    typeof b.endsAt === 'number' ? b.endsAt : b.duration !== undefined ? (parseDuration(b.duration) ?? NaN) + now : NaN;
  if (!(endsAt > now)) throw new ApiError(400, 'give duration (e.g. "2h") or a future endsAt (epoch ms)');
  return {
    matchers,
    startsAt: now,
    endsAt,
    comment: typeof b.comment === 'string' ? b.comment.slice(0, 500) : '',
    createdBy: typeof b.createdBy === 'string' ? b.createdBy.slice(0, 100) : 'dashboard',
  };
}
