// Shapes of `GET /v1/neighbors` (kmsctl neighbors --json prints them unchanged).

export interface NeighborView {
  ap: string;
  /** dB-equivalent: (mean signal − floor) × confidence + roam bonus. */
  score: number;
  /** Weighted mean signal in dBm; null when only roams (or nothing, for a pinned entry) are known. */
  signalDbm: number | null;
  observations: number;
  roams: number;
  pinned: boolean;
  /** ms since the epoch; null for a pinned entry never observed. */
  lastSeen: number | null;
}

export interface ApNeighborsView {
  name: string;
  neighbors: NeighborView[];
}

export interface EdgeView {
  from: string;
  to: string;
  score: number;
  signalDbm: number | null;
  /** Evidence weight now (decayed). */
  weight: number;
  observations: number;
  roams: number;
  lastSeen: number;
  /** `to` is in `from`'s discovered list. */
  inList: boolean;
}

export interface NeighborsResponse {
  generatedAt: number;
  params: { topK: number; floorDbm: number; hysteresisDb: number; halfLifeS: number };
  aps: ApNeighborsView[];
  /** Listed edges by default; `?edges=all` adds the candidates. */
  edges: EdgeView[];
  /** Which edges `edges` holds: 'list' (in some AP's list) or 'all' (candidates too). */
  edgeSet?: 'list' | 'all';
  stats: { aps: number; edges: number; edgeBytes: number };
}
