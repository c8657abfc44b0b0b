// The core as kmsd composes it, without the threads: a StationRecorder over its own store
// connection commits each Access-Accept (kmsd's RADIUS thread), its record crosses as the JSON
// the store was given, and the main thread's StationLife adopts it with its news, over the main
// thread's own connection and StationTable. Unit tests drive this, not a path kmsd does not run.
import { join } from 'node:path';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { StationRecorder } from '../../daemon/records/recorder.js';
import { StationTable } from '../../daemon/records/station-table.js';
import type { RecordPolicy } from '../../daemon/records/build.js';
import type { AccessAcceptFacts } from '../../daemon/records/facts.js';
import type { StationRecord } from '../../daemon/records/station.js';
import { StationLife, type StationLifeDeps } from '../../daemon/stations/station-life.js';

export interface KmsCore {
  /** The main thread's connection (distribution's ledger, the table). */
  store: SqliteRecordStore;
  stations: StationTable;
  life: StationLife;
  recorder: StationRecorder;
  /** One Access-Accept, as kmsd handles it: committed, then adopted; resolves when subscribers are done. */
  accept(facts: AccessAcceptFacts): Promise<StationRecord>;
  close(): void;
}

export function kmsCore(
  dir: string,
  masterKey: Buffer,
  o: {
    policy?: RecordPolicy;
    places?: StationLifeDeps['places'];
    log?: StationLifeDeps['log'];
    observer?: StationLifeDeps['observer'];
    now?: () => number;
    warning?(sta: string, message: string): void;
    /** StationLife's other settings (revocation's). */
    life?: Pick<StationLifeDeps, 'revokeOnTerminateCause' | 'revokedRetentionMs'>;
  } = {},
): KmsCore {
  const path = join(dir, 'kms.sqlite');
  const policy = o.policy ?? { defaultLifetimeS: 3600, machineAuthWindowS: 600 };
  const now = o.now ?? Date.now;
  const store = new SqliteRecordStore(path, masterKey);
  const radiusStore = new SqliteRecordStore(path, masterKey, { checkpointsElsewhere: true });
  const recorder = new StationRecorder(radiusStore, policy, o.warning, now);
  recorder.load();
  const stations = new StationTable(store, o.warning ? { warning: o.warning } : {}, now);
  const life = new StationLife({
    stations,
    places: o.places ?? null,
    log: o.log ?? { info() {} },
    now,
    ...(o.observer ? { observer: o.observer } : {}),
    ...o.life,
  });
  return {
    store,
    stations,
    life,
    recorder,
    accept: async (facts) => {
      const { json, news } = await recorder.record(facts);
      const record = JSON.parse(json) as StationRecord;
      await life.adopt(record, news);
      return record;
    },
    close: () => {
      radiusStore.close();
      store.close();
    },
  };
}
