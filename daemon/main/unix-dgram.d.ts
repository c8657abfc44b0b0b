// Types for the parts of unix-dgram 2.x (CommonJS, no bundled types) that kms uses.
// Behaviour worth knowing, from its source (src/unix_dgram.cc):
// - paths are copied with strncpy() and the address length is always sizeof(sockaddr_un),
//   so Linux abstract sockets (a leading NUL, exact length) cannot be reached or bound;
// - every socket registers a uv_poll handle that is never unref'd, so an open socket keeps
//   the event loop (the process) alive until close();
// - send()/callbacks run synchronously; an unconnected send with a callback reports errors
//   to the callback (err.code is a negative errno), a connected one emits 'congestion' on EAGAIN.
declare module 'unix-dgram' {
  import { EventEmitter } from 'node:events';

  namespace unixDgram {
    interface RemoteInfo {
      size: number;
      /** Sender's bound path; undefined when the sender did not bind. */
      path?: string;
    }

    interface UnixDgramSocket extends EventEmitter {
      readonly fd: number;
      connected?: boolean;
      bind(path: string): void;
      connect(path: string): void;
      /** Unconnected form: to `path`. */
      send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
      /** Connected form. */
      send(buf: Buffer, callback?: (err?: Error) => void): void;
      close(): void;
      on(event: 'message', listener: (msg: Buffer, rinfo: RemoteInfo) => void): this;
      on(event: 'error', listener: (err: Error & { code?: number; syscall?: string }) => void): this;
      on(event: 'listening' | 'connect' | 'writable', listener: () => void): this;
      on(event: 'congestion', listener: (buf: Buffer) => void): this;
    }

    function createSocket(type: 'unix_dgram', listener?: (msg: Buffer, rinfo: RemoteInfo) => void): UnixDgramSocket;
  }

  export = unixDgram;
}
