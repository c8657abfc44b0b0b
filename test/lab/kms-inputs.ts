// The fixed inputs (paths, test secrets, host keys) the lab's kmsd config generator gets in the
// no-VM tests, so those tests check kmsdConfigYaml against kmsd's own schema.
import type { Plan } from '../../hw/vlab/plan.js';

export function fixtureKmsInputs(plan: Plan) {
  return {
    stateDir: '/run/vlab/kms/state',
    masterKeyFile: '/run/vlab/kms/master-key',
    apiToken: 't'.repeat(32),
    apSecrets: Object.fromEntries(plan.aps.map((a) => [a.name, { radius: `vlab-${a.name}-secret`, rrbKey: 'ab'.repeat(32) }])),
    hostKeys: Object.fromEntries(plan.aps.map((a) => [a.name, `SHA256:${'A'.repeat(43)}`])),
    clientKeyPath: '/x/ssh/client',
  };
}
