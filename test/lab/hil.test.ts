// The same baselines against real OpenWrt APs and a Linux station, when an inventory says where they
// are (hw/hil/inventory.yaml or $KMS_HIL_INVENTORY). Without one the suite is skipped, and says why.
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { findInventory, loadInventory, INVENTORY_ENV } from '../../hw/hil/inventory.js';
import { runHilScenario } from '../../hw/hil/run.js';
import { repoRoot } from '../../hw/vlab/image.js';

const inventory = findInventory(join(repoRoot(), 'hw', 'hil', 'inventory.yaml'));
const reason = `no HIL inventory: create hw/hil/inventory.yaml (see hw/hil/inventory.example.yaml) or set ${INVENTORY_ENV}`;
if (!inventory) console.log(`HIL suite skipped: ${reason}`);

describe('HIL inventory format', () => {
  it('the shipped example inventory is valid', () => {
    const inv = loadInventory(join(repoRoot(), 'hw', 'hil', 'inventory.example.yaml'));
    expect(inv.aps.map((a) => a.name)).toEqual(['ap1', 'ap2']);
    expect(inv.stations[0]!.name).toBe('sta1');
  });
});

describe.skipIf(!inventory)(`HIL baselines on real APs${inventory ? '' : ` (skipped: ${reason})`}`, () => {
  for (const name of ['peap-join', 'roam-full-eap', 'roam-ft']) {
    it(
      name,
      async () => {
        const r = await runHilScenario(name, inventory!, () => undefined);
        console.log(r.table);
        if (!r.ok) throw new Error(r.failures.join('\n\n'));
      },
      10 * 60_000,
    );
  }
});
