import path from 'node:path';
import express from 'express';
import { defaultRulesDir } from './ruleset.js';
import { ApiError } from '../api.js';
import { parseDuration } from './rules.js';
import type { Alerts } from './index.js';

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
        .map((x) => ({ name: x.name, severity: x.severity, file: x.file, line: x.line, summary: x.summary })),
    });
  });

  r.post('/api/alerts/:id/ack', (req, res) => {
    if (!alerts.engine.ack(req.params.id)) throw new ApiError(404, 'no such alert (it may have resolved)');
    res.json({ ok: true });
  });

  r.post('/api/silences', body, (req, res) => {
    const b = req.body as {
      matchers?: unknown;
      duration?: unknown;
      endsAt?: unknown;
      comment?: unknown;
      createdBy?: unknown;
    };
    if (!Array.isArray(b.matchers) || b.matchers.length === 0)
      throw new ApiError(400, 'matchers: a non-empty list of {label, value, regex?}');
    const matchers = b.matchers.map((m: unknown, i: number) => {
      const x = m as { label?: unknown; value?: unknown; regex?: unknown };
      if (typeof x.label !== 'string' || typeof x.value !== 'string')
        throw new ApiError(400, `matchers[${i}] needs label and value strings`);
      if (x.regex) {
        try {
          new RegExp(x.value);
        } catch (e) {
          throw new ApiError(400, `matchers[${i}]: bad regex: ${(e as Error).message}`);
        }
      }
      return { label: x.label, value: x.value, regex: !!x.regex };
    });
    const now = Date.now();
    const endsAt =
      typeof b.endsAt === 'number'
        ? b.endsAt
        : b.duration !== undefined
          ? (parseDuration(b.duration) ?? NaN) + now
          : NaN;
    if (!(endsAt > now)) throw new ApiError(400, 'give duration (e.g. "2h") or a future endsAt (epoch ms)');
    const s = alerts.engine.addSilence({
      matchers,
      startsAt: now,
      endsAt,
      comment: typeof b.comment === 'string' ? b.comment.slice(0, 500) : '',
      createdBy: typeof b.createdBy === 'string' ? b.createdBy.slice(0, 100) : 'dashboard',
    });
    res.status(201).json(s);
  });

  r.delete('/api/silences/:id', (req, res) => {
    if (!alerts.engine.expireSilence(req.params.id)) throw new ApiError(404, 'no such silence');
    res.json({ ok: true });
  });
  return r;
}
