// monitoring/: the Prometheus rules pass promtool (check and unit tests), and every metric the
// rules and the Grafana dashboard read is one kmsd really exports (its registry, not a list).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KmsMetrics } from '../../../daemon/metrics/metrics.js';
import { ClusterMetrics } from '../../../daemon/metrics/cluster-metrics.js';
import { metricNames } from './promql-names.js';

const DIR = fileURLToPath(new URL('../../../monitoring/', import.meta.url));
const RULES = join(DIR, 'prometheus/kms-alerts.yml');
const RULE_TESTS = join(DIR, 'prometheus/kms-alerts.test.yml');
const DASHBOARD = join(DIR, 'grafana/kms-dashboard.json');

function promtool(...args: string[]) {
  const r = spawnSync('promtool', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `promtool cannot run (${(r.error as NodeJS.ErrnoException).code}): install the Debian package prometheus (.ci/debian-packages.txt)`,
    );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function exportedSeries(): Promise<Set<string>> {
  // A cluster member's kmsd registers the cluster figures on the same registry.
  const metrics = new KmsMetrics();
  new ClusterMetrics(metrics.registry);
  const text = await metrics.registry.metrics();
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

function ruleExprs(): string[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { query?: { query: string } | string }[] };
  };
  const targets = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  // Template variables: label_values(METRIC, label) reads METRIC.
  const variables = d.templating.list
    .map((v) => (typeof v.query === 'object' ? v.query.query : ''))
    .map((q) => /^label_values\(([^,]+),/.exec(q)?.[1])
    .filter((m): m is string => !!m);
  return [...targets, ...variables];
}

describe('Prometheus rules (promtool)', () => {
  it('pass promtool check rules', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 7 rules found/);
  });

  it('pass their promtool unit tests', () => {
    const r = promtool('test', 'rules', RULE_TESTS);
    expect(r.status, r.out).toBe(0);
  });

  it('unit tests that notice a changed rule (control)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'kms-rules-'));
    try {
      const rules = readFileSync(RULES, 'utf8');
      expect(rules).toContain('expr: kms_ap_control_up == 0\n        for: 5m');
      writeFileSync(
        join(tmp, 'kms-alerts.yml'),
        rules.replace('expr: kms_ap_control_up == 0\n        for: 5m', 'expr: kms_ap_control_up == 0\n        for: 30m'),
      );
      copyFileSync(RULE_TESTS, join(tmp, 'kms-alerts.test.yml'));
      const r = promtool('test', 'rules', join(tmp, 'kms-alerts.test.yml'));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/alertname: KmsApControlDown/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('metrics the rules and the dashboard read', () => {
  it('reads names out of PromQL (control for the tests below)', () => {
    expect(
      metricNames('sum by (instance, reason) (rate(kms_a_total{reason!~"x-.*"}[5m])) / on (instance) group_left kms_b > 0.1 and up'),
    ).toEqual(['kms_a_total', 'kms_b', 'up']);
    expect(metricNames('histogram_quantile(0.99, sum by (le) (rate(kms_c_bucket{instance=~"$instance"}[$__rate_interval])))')).toEqual([
      'kms_c_bucket',
    ]);
  });

  it('are all exported by kmsd', async () => {
    const exported = await exportedSeries();
    const rules = ruleExprs().flatMap(metricNames);
    const dashboard = dashboardExprs().flatMap(metricNames);
    expect(rules.length).toBeGreaterThan(8);
    expect(dashboard.length).toBeGreaterThan(20);
    const unknown = [...new Set([...rules, ...dashboard])].filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
    expect(rules).toContain('kms_ha_records_queued');
  });

  it('the dashboard graphs every kmsd metric family but the default process set', async () => {
    const families = [...(await new KmsMetrics().registry.getMetricsAsJSON())]
      .map((m) => m.name)
      .filter((n) => !n.startsWith('kms_process_') && !n.startsWith('kms_nodejs_'));
    const read = new Set(
      dashboardExprs()
        .flatMap(metricNames)
        .map((n) => n.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(families.filter((f) => !read.has(f))).toEqual([]);
  });
});
