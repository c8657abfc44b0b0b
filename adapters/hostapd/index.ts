// Public API of the hostapd adapters: event/reply parsers, the local ctrl-socket client, the SSH
// transport, and the two ApControl implementations (hostapd_cli/ctrl socket, OpenWrt ubus).
export {
  HostapdParseError,
  PMKSA_HEADER,
  parseEvent,
  parseMacToken,
  parseNeighborList,
  parsePmksaList,
  parseStaReply,
  splitEventLine,
  tryParseEvent,
  type EventLine,
  type HostapdParseReason,
  type NeighborEntry,
  type PmksaEntry,
  type StaInfo,
} from './events.js';
export { CtrlSocketClient, CtrlSocketError, type CtrlSocketErrorCode, type CtrlSocketOptions } from './ctrl-socket.js';
export {
  SshTransport,
  SshTransportError,
  privateKeyProblem,
  frameCommand,
  shellQuote,
  sshFingerprint,
  streamWrapper,
  type RunResult,
  type SshErrorCode,
  type SshTransportOptions,
  type StreamHandle,
} from './ssh-transport.js';
export {
  ApCommandError,
  HostapdControl,
  checkIfname,
  cliEventLine,
  formatPmksaAdd,
  type HostapdLocalOptions,
  type HostapdSshOptions,
  type PmksaAddRequest,
} from './hostapd-control.js';
export {
  UbusControl,
  UbusError,
  parseUbusEvent,
  type BeaconRequest,
  type BssTransitionRequest,
  type UbusClient,
  type UbusControlOptions,
} from './ubus-control.js';
