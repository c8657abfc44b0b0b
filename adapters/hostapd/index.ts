// Public API of the hostapd adapters: the three ApDriver back-ends (local ctrl socket,
// hostapd_cli over SSH, OpenWrt ubus over SSH), the transports under them, and the pure parsers
// and command builders they speak with.
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
  bssTmReqCommand,
  checkIfname,
  deauthenticateCommand,
  formatPmksaAdd,
  removeNeighborCommand,
  reqBeaconCommand,
  setNeighborCommand,
} from './ctrl-commands.js';
export { bssTransitionArgs, delClientArgs, rrmBeaconReqArgs, rrmNrSetArgs, type RrmBeaconReqArgs } from './ubus-args.js';
export { ApCommandError, CtrlInterfaceDriver } from './ctrl-driver.js';
export { CtrlSocketDriver, type CtrlSocketDriverOptions } from './ctrl-socket-driver.js';
export { HostapdCliDriver, cliEventLine, type HostapdCliDriverOptions } from './hostapd-cli-driver.js';
export { UbusDriver, UbusError, parseUbusEvent, type UbusDriverOptions } from './ubus-driver.js';
