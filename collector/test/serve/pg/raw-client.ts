/** A bare protocol client (pg-protocol's serializer and parser) for exchanges node-postgres never sends. */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { parse, serialize } from 'pg-protocol';
import type { BackendMessage } from 'pg-protocol/dist/messages.js';

const md5 = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');

export class RawClient {
  private readonly inbox: BackendMessage[] = [];
  private wake: (() => void) | null = null;
  processID = 0;
  secretKey = 0;

  private constructor(readonly socket: Socket) {
    void parse(socket, (m) => {
      this.inbox.push(m);
      this.wake?.();
    });
  }

  /** Connects and logs in with MD5 (the server under test must use authMethod md5). */
  static async connect(port: number, user: string, password: string, database = 'spyglass'): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawClient(socket);
    c.send(serialize.startup({ user, database }));
    const auth = (await c.next()) as BackendMessage & { salt?: Buffer };
    if (auth.name !== 'authenticationMD5Password') throw new Error(`expected MD5 challenge, got ${auth.name}`);
    c.send(serialize.password('md5' + md5(Buffer.concat([Buffer.from(md5(password + user)), auth.salt!]))));
    const startup = await c.until('readyForQuery');
    const key = startup.find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number };
    c.processID = key.processID;
    c.secretKey = key.secretKey;
    return c;
  }

  send(...buffers: Buffer[]): void {
    this.socket.write(Buffer.concat(buffers));
  }

  async next(timeoutMs = 10_000): Promise<BackendMessage> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a backend message');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.inbox.shift()!;
  }

  /** Messages up to and including the first one named `name`. */
  async until(name: string): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.next();
      out.push(m);
      if (m.name === name) return out;
    }
  }

  end(): void {
    this.socket.end(serialize.end());
  }
}

/** Sends a CancelRequest on a new connection, as libpq does. */
export async function sendCancel(port: number, processID: number, secretKey: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(serialize.cancel(processID, secretKey));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
}
