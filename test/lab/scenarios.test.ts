// Scenario files are checked before any VM boots: shipped ones must load, mistakes must be named.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenario, parseScenario, scenariosDir } from '../../hw/vlab/scenario.js';
import { runScenario } from '../../hw/vlab/run.js';

describe('lab scenario files', () => {
  it('every shipped scenario is valid', () => {
    const files = readdirSync(scenariosDir()).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(loadScenario(f).steps.length).toBeGreaterThan(0);
  });

  it('names the field and the problem of an invalid scenario', () => {
    const bad = 'name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nsteps:\n  - roam: {station: sta1, to: ap9}\n';
    expect(() => parseScenario(bad, 'bad.yaml')).toThrow(/bad\.yaml[\s\S]*steps\.0: unknown AP ap9/);
  });

  it('FT without an ft: section is refused', () => {
    const bad = 'name: x\nnetwork: {keyMgmt: FT-EAP WPA-EAP}\naps: [{name: ap1}]\nstations: [{name: sta1}]\nsteps: [{sleep: {ms: 1}}]\n';
    expect(() => parseScenario(bad)).toThrow(/network\.ft: FT-EAP needs an ft: section/);
  });

  it('a kms: section is accepted by the schema but refused by the runner until the KMS exists', async () => {
    const s = parseScenario('name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nkms: {config: kms.yaml}\nsteps: [{sleep: {ms: 1}}]\n');
    await expect(runScenario(s)).rejects.toThrow(/kms: section needs the KMS/);
  });
});
