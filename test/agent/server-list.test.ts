import { describe, expect, it } from 'vitest';
import { ServerList } from '../../agent/server-list.js';
import { haStatus } from '../../server/ha.js';
import { parseMatrix, selector, stepFor } from '../../server/history-remote.js';

describe('ServerList', () => {
  it('goes through the servers in order and says when a round wrapped', () => {
    const l = new ServerList(' ws://a:1 , ws://b:2,ws://c:3 ');
    expect(l.urls).toEqual(['ws://a:1', 'ws://b:2', 'ws://c:3']);
    expect([l.current, l.onPreferred]).toEqual(['ws://a:1', true]);
    expect([l.advance(), l.current]).toEqual([false, 'ws://b:2']);
    expect([l.advance(), l.current]).toEqual([false, 'ws://c:3']);
    expect([l.advance(), l.current, l.onPreferred]).toEqual([true, 'ws://a:1', true]);
    l.advance();
    l.backToPreferred();
    expect(l.current).toBe('ws://a:1');
  });

  it('with one server every failure is a whole round (the old backoff)', () => {
    const l = new ServerList('ws://a:1');
    expect(l.advance()).toBe(true);
    expect(l.current).toBe('ws://a:1');
  });

  it('refuses an empty list', () => {
    expect(() => new ServerList(' , ')).toThrow(/no server URL/);
  });
});

describe('stepFor: about 2000 points, whole seconds, at least 1 s', () => {
  it.each([
    [60_000, 1000], // 60 s / 2000 = 0.03 s → 1 s
    [2_000_000, 1000], // exactly 1 s
    [2_000_001, 2000], // just over 1 s → 2 s
    [3_600_000, 2000], // 1.8 s → 2 s
    [86_400_000, 44_000], // 43.2 s → 44 s
    [7 * 86_400_000, 303_000], // 302.4 s → 303 s
  ])('a range of %i ms is read at %i ms', (span, step) => {
    expect(stepFor(1_000_000, 1_000_000 + span)).toBe(step);
  });
});

describe('selector', () => {
  it("names the series as remote write does and escapes the values' quotes and backslashes", () => {
    expect(selector({ host: 'db-1', metric: 'disk_util_percent', labels: { device: 'sdb' } })).toBe(
      'tidemark_disk_util_percent{host="db-1",device="sdb"}',
    );
    expect(selector({ host: 'a"b\\c\nd', metric: 'x' })).toBe('tidemark_x{host="a\\"b\\\\c\\nd"}');
  });
});

describe('parseMatrix', () => {
  it('turns a query_range matrix into series: ms, numbers, labels without __name__ and host', () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { __name__: 'tidemark_disk_util_percent', host: 'db-1', device: 'sdb' },
            values: [
              [1700000000, '12.5'],
              [1700000001.5, 'NaN'],
              [1700000003, '+Inf'],
              [1700000004, '0'],
            ],
          },
        ],
      },
    };
    expect(parseMatrix(body, 'disk_util_percent')).toEqual([
      {
        metric: 'disk_util_percent',
        labels: { device: 'sdb' },
        points: [
          [1700000000000, 12.5],
          [1700000001500, null],
          [1700000003000, null],
          [1700000004000, 0],
        ],
      },
    ]);
  });

  it('throws on an error answer or on anything but a matrix', () => {
    expect(() => parseMatrix({ status: 'error', error: 'parse error at char 3' }, 'x')).toThrow(/parse error/);
    expect(() => parseMatrix({ status: 'success', data: { resultType: 'vector', result: [] } }, 'x')).toThrow(
      /not a matrix/,
    );
    expect(() => parseMatrix(null, 'x')).toThrow(/not a Prometheus API success/);
  });
});

describe('haStatus', () => {
  const am = { name: 'am', type: 'alertmanager' as const, url: 'http://am:9093' };
  it('is quiet when every receiver is an Alertmanager', () => {
    expect(haStatus('http://b:7070', [am])).toEqual({ peer: 'http://b:7070', directReceivers: [], warning: null });
  });
  it('names every receiver that would page twice', () => {
    const s = haStatus('http://b:7070', [
      am,
      { name: 'hook', type: 'webhook', url: 'http://h' },
      { name: 'pd', type: 'pagerduty', url: 'http://p' },
    ]);
    expect(s.directReceivers).toEqual(['hook (webhook)', 'pd (pagerduty)']);
    expect(s.warning).toMatch(/^HA pair with http:\/\/b:7070: hook \(webhook\), pd \(pagerduty\) would get every/);
  });
});
