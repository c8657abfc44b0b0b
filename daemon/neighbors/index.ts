// RF-neighbour discovery (the AirMatch equivalent): beacon reports, radio sightings and roams in,
// per-AP neighbour lists out (to key distribution and to the APs' 802.11k databases).
export {
  BeaconReportError,
  parseBeaconReport,
  parseBeaconReportEvent,
  checkReportMode,
  rcpiToDbm,
  dbmToRcpi,
  rsniToDb,
  reportedPhyType,
  type BeaconReport,
  type BeaconReportReason,
  type BeaconSubelement,
} from './beacon-report.js';
export { buildBeaconRequest, bandChannels, BEACON_MODE, type BeaconMode, type BeaconRequestParams } from './beacon-request.js';
export {
  BSSID_INFO,
  PHY_TYPE,
  EID_NEIGHBOR_REPORT,
  NR_SUBELEMENT,
  NeighborReportError,
  bssidInfo,
  bssidInfoFlags,
  buildNeighborReport,
  buildNeighborReportElement,
  decodeNeighborReport,
  neighborReportsIn,
  neighborReportLength,
  subelementsOf,
  candidatePreference,
  neighborEntryFrom,
  opClassForFreq,
  type BssidInfoFlags,
  type NeighborReport,
  type NeighborPolicy,
  type NeighborReportReason,
} from './neighbor-report.js';
export { RfGraph, type RfGraphOptions, type NeighborDetail, type EdgeDetail } from './rf-graph.js';
export {
  BeaconScheduler,
  beaconModes,
  SCHEDULER_DEFAULTS,
  type SchedulerOptions,
  type BeaconJob,
  type BeaconOutcome,
} from './scheduler.js';
export { NeighborReportSync, type NrSyncOptions } from './nr-sync.js';
export { NeighborService, type NeighborServiceOptions, type NeighborServiceDeps } from './service.js';
export { MemoryNeighborStore } from './persistence.js';
export { renderSvg, type SvgOptions } from './svg.js';
export { neighborsRoute, neighborsSnapshot, type RouteResult } from './api.js';
export type { NeighborsResponse, ApNeighborsView, NeighborView, EdgeView } from './api-types.js';
