// RDS's front door, on this machine: a MySQL-protocol stand-in in front of the test MariaDB
// that does what RDS adds — IAM database authentication. A user created `IDENTIFIED WITH
// AWSAuthenticationPlugin AS 'RDS'` (RDS docs, "Creating a database account using IAM
// authentication") logs in with a token: the stand-in asks for it with the clear-text plugin,
// only inside TLS, checks its signature, expiry, host, port, user and region, that IAM
// authentication is enabled on the database and that the caller's role may `rds-db:connect`
// as that user, then logs in to MariaDB for it. Everyone else (the master user) passes through
// untouched; the queries of every session run on MariaDB.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, TLSSocket } from 'node:tls';
import type { ServerAddress, TlsFiles } from './mariadb.js';
import { verifyAuthToken, type TokenCheck } from './rds-iam-token.js';

const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_SSL = 0x800;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;
const COM_QUERY = 0x03;

export interface RdsStandInOptions {
  backend: Pick<ServerAddress, 'host' | 'port'>;
  tls: TlsFiles;
  /** The endpoint name clients are given (what tokens must be signed for). */
  host: string;
  region: string;
  secretOf: TokenCheck['secretOf'];
  /** Why this access key may not connect as this user (rds-db:connect), or null when it may. */
  refuse: (accessKeyId: string, user: string) => string | null;
  /** IAM database authentication is enabled on the instance or cluster. */
  iamEnabled: () => boolean;
  /**
   * RDS's AWSAuthenticationPlugin is loaded: some moments after IAM authentication is reported
   * on, a CREATE/ALTER USER … IDENTIFIED WITH AWSAuthenticationPlugin still fails with
   * ER_PLUGIN_IS_NOT_LOADED (1524). Default: whenever IAM authentication is enabled.
   */
  pluginLoaded?: () => boolean;
  now?: () => number;
}

export interface RdsStandIn {
  port: number;
  /** Users RDS authenticates by token. */
  iamUsers: Set<string>;
  /** Why IAM logins were refused, newest last. */
  refusals: Array<{ user: string; reason: string }>;
  close(): Promise<void>;
}

interface Packet {
  seq: number;
  payload: Buffer;
}

/** Reads whole MySQL packets from a socket until detached. */
class PacketReader {
  private buffer = Buffer.alloc(0);
  private waiting: Array<(p: Packet) => void> = [];
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.drain();
  };
  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
  }
  private drain() {
    while (this.waiting.length > 0 && this.buffer.length >= 4) {
      const length = this.buffer.readUIntLE(0, 3);
      if (this.buffer.length < 4 + length) return;
      const packet = { seq: this.buffer[3]!, payload: this.buffer.subarray(4, 4 + length) };
      this.buffer = this.buffer.subarray(4 + length);
      this.waiting.shift()!(packet);
    }
  }
  read(): Promise<Packet> {
    return new Promise((resolve, reject) => {
      this.waiting.push(resolve);
      this.socket.once('close', () => reject(new Error('closed')));
      this.drain();
    });
  }
  /** Stops reading; what arrived beyond the packets read is returned. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    return this.buffer;
  }
}

/** The socket as a stream that first gives what was already read from it. */
function replaying(socket: Socket, early: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, done) => void socket.write(chunk, done),
    final: (done) => {
      socket.end();
      done();
    },
    destroy: (error, done) => {
      socket.destroy();
      done(error);
    },
  });
  stream.push(early);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  return stream;
}

const frame = (seq: number, payload: Buffer) => {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq;
  return Buffer.concat([header, payload]);
};

const cstring = (buffer: Buffer, at: number): [string, number] => {
  const end = buffer.indexOf(0, at);
  return [buffer.subarray(at, end).toString('utf8'), end + 1];
};

const lenenc = (buffer: Buffer, at: number): [number, number] => {
  const first = buffer[at]!;
  if (first < 0xfb) return [first, at + 1];
  if (first === 0xfc) return [buffer.readUInt16LE(at + 1), at + 3];
  if (first === 0xfd) return [buffer.readUIntLE(at + 1, 3), at + 4];
  return [Number(buffer.readBigUInt64LE(at + 1)), at + 9];
};

const sha1 = (...parts: Buffer[]) => {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** mysql_native_password's answer to the server's nonce. */
const nativeScramble = (password: string, nonce: Buffer) => {
  const stage1 = sha1(Buffer.from(password));
  const mix = sha1(nonce, sha1(stage1));
  return Buffer.from(stage1.map((b, i) => b ^ mix[i]!));
};

function errorPacket(seq: number, code: number, state: string, message: string): Buffer {
  return frame(seq, Buffer.concat([Buffer.from([0xff]), Buffer.from([code & 0xff, code >> 8]), Buffer.from(`#${state}${message}`)]));
}

interface Greeting {
  nonce: Buffer;
}

function parseGreeting(payload: Buffer): Greeting {
  let at = 1;
  [, at] = cstring(payload, at);
  at += 4;
  const part1 = payload.subarray(at, at + 8);
  at += 8 + 1 + 2 + 1 + 2 + 2;
  const authLength = payload[at]!;
  at += 1 + 10;
  const part2 = payload.subarray(at, at + Math.max(13, authLength - 8) - 1);
  return { nonce: Buffer.concat([part1, part2]) };
}

interface HandshakeResponse {
  caps: number;
  head: Buffer;
  user: string;
  database?: string;
  rest: Buffer;
}

function parseResponse(payload: Buffer): HandshakeResponse {
  const caps = payload.readUInt32LE(0);
  const head = payload.subarray(0, 32);
  let at = 32;
  let user: string;
  [user, at] = cstring(payload, at);
  if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    const [length, next] = lenenc(payload, at);
    at = next + length;
  } else if (caps & CLIENT_SECURE_CONNECTION) at += 1 + payload[at]!;
  else [, at] = cstring(payload, at);
  let database: string | undefined;
  if (caps & CLIENT_CONNECT_WITH_DB) [database, at] = cstring(payload, at);
  if (caps & CLIENT_PLUGIN_AUTH) [, at] = cstring(payload, at);
  return { caps, head, user, ...(database !== undefined ? { database } : {}), rest: payload.subarray(at) };
}

/** The same login, answered with mysql_native_password for `password`. */
function loginAs(response: HandshakeResponse, password: string, nonce: Buffer): Buffer {
  const scramble = nativeScramble(password, nonce);
  const auth = response.caps & (CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_SECURE_CONNECTION) ? Buffer.concat([Buffer.from([scramble.length]), scramble]) : Buffer.concat([scramble, Buffer.from([0])]);
  return Buffer.concat([
    response.head,
    Buffer.from(`${response.user}\0`),
    auth,
    response.caps & CLIENT_CONNECT_WITH_DB ? Buffer.from(`${response.database ?? ''}\0`) : Buffer.alloc(0),
    response.caps & CLIENT_PLUGIN_AUTH ? Buffer.from('mysql_native_password\0') : Buffer.alloc(0),
    response.rest,
  ]);
}

const IAM_USER = /^(\s*(?:CREATE|ALTER)\s+USER\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?'([^']+)'@'[^']*'\s+)IDENTIFIED\s+WITH\s+AWSAuthenticationPlugin\s+AS\s+'RDS'/i;

export async function startRdsStandIn(options: RdsStandInOptions): Promise<RdsStandIn> {
  const secureContext = createSecureContext({ key: readFileSync(options.tls.key), cert: readFileSync(options.tls.cert) });
  // What the stand-in logs IAM users in to MariaDB with (RDS keeps its own secret the same way).
  const backendPassword = randomBytes(18).toString('base64url');
  const iamUsers = new Set<string>();
  const refusals: RdsStandIn['refusals'] = [];
  const sockets = new Set<Socket>();
  let port = 0;

  /**
   * Client → server, packet by packet, with RDS's IAM user statements made MariaDB's — or
   * answered ER_PLUGIN_IS_NOT_LOADED while RDS's plugin is not loaded.
   */
  const forwardRewriting = (from: Socket, to: Socket, leftover: Buffer) => {
    let buffer = leftover;
    const flush = () => {
      while (buffer.length >= 4) {
        const length = buffer.readUIntLE(0, 3);
        if (buffer.length < 4 + length) return;
        const seq = buffer[3]!;
        let payload = buffer.subarray(4, 4 + length);
        buffer = buffer.subarray(4 + length);
        if (payload[0] === COM_QUERY) {
          const sql = payload.subarray(1).toString('utf8');
          const match = IAM_USER.exec(sql);
          if (match && !(options.pluginLoaded ?? options.iamEnabled)()) {
            from.write(errorPacket(seq + 1, 1524, 'HY000', "Plugin 'AWSAuthenticationPlugin' is not loaded"));
            continue;
          }
          if (match) {
            iamUsers.add(match[2]!);
            payload = Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(sql.replace(IAM_USER, `$1IDENTIFIED BY '${backendPassword}'`))]);
          }
        }
        to.write(frame(seq, payload));
      }
    };
    from.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      flush();
    });
    flush();
  };

  const session = async (raw: Socket) => {
    let client: Socket = raw;
    const backendRaw = netConnect(options.backend.port, options.backend.host);
    let backend: Socket = backendRaw;
    sockets.add(raw).add(backendRaw);
    const closeBoth = () => {
      raw.destroy();
      backendRaw.destroy();
    };
    raw.on('error', closeBoth).on('close', closeBoth);
    backendRaw.on('error', closeBoth).on('close', closeBoth);

    let backendReader = new PacketReader(backend);
    const greeting = await backendReader.read();
    const { nonce } = parseGreeting(greeting.payload);
    raw.write(frame(greeting.seq, greeting.payload));

    let clientReader = new PacketReader(client);
    let first = await clientReader.read();
    let tls = false;
    if (first.payload.length === 32 && first.payload.readUInt32LE(0) & CLIENT_SSL) {
      // An SSLRequest: TLS on both legs, the client's ending here with RDS's certificate.
      // The client starts TLS without waiting: its first bytes may already be read.
      const early = clientReader.detach();
      backendReader.detach();
      backendRaw.write(frame(first.seq, first.payload));
      const secured = new TLSSocket(early.length ? replaying(raw, early) : raw, { isServer: true, secureContext });
      await new Promise<void>((resolve, reject) => secured.once('secure', resolve).once('error', reject));
      backend = tlsConnect({ socket: backendRaw, rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => backend.once('secureConnect', resolve).once('error', reject));
      client = secured;
      tls = true;
      clientReader = new PacketReader(client);
      backendReader = new PacketReader(backend);
      first = await clientReader.read();
    }
    const response = parseResponse(first.payload);
    if (iamUsers.has(response.user)) {
      const refuse = (reason: string, seq: number) => {
        refusals.push({ user: response.user, reason });
        client.end(errorPacket(seq, 1045, '28000', `Access denied for user '${response.user}'@'${raw.remoteAddress}' (using password: YES)`));
        backend.destroy();
      };
      if (!tls) return refuse('IAM authentication needs TLS', first.seq + 1);
      // Ask for the token in clear text (inside TLS).
      client.write(frame(first.seq + 1, Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_clear_password\0')])));
      const answer = await clientReader.read();
      const token = answer.payload.subarray(0, answer.payload.indexOf(0) < 0 ? undefined : answer.payload.indexOf(0)).toString('utf8');
      if (!options.iamEnabled()) return refuse('IAM database authentication is not enabled on the database', answer.seq + 1);
      const verdict = verifyAuthToken(token, { host: options.host, port, user: response.user, region: options.region, secretOf: options.secretOf, now: (options.now ?? Date.now)() });
      if (!verdict.ok) return refuse(verdict.reason, answer.seq + 1);
      const denied = options.refuse(verdict.accessKeyId, response.user);
      if (denied) return refuse(denied, answer.seq + 1);
      backend.write(frame(first.seq, loginAs(response, backendPassword, nonce)));
      const outcome = await backendReader.read();
      client.write(frame(answer.seq + 1, outcome.payload));
      if (outcome.payload[0] !== 0x00) return closeBoth();
    } else {
      backend.write(frame(first.seq, first.payload));
    }
    // The session: server → client as it comes; client → server with IAM user statements translated.
    const fromBackend = backendReader.detach();
    if (fromBackend.length) client.write(fromBackend);
    backend.pipe(client);
    forwardRewriting(client, backend, clientReader.detach());
    client.on('error', closeBoth).on('close', closeBoth);
    backend.on('error', closeBoth).on('close', closeBoth);
  };

  const server = createServer((socket) => {
    session(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    iamUsers,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
