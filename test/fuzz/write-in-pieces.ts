import type { Socket } from 'node:net';
import type { Random } from '../../collector/src/simulate/random.js';

/**
 * Writes `bytes` to a raw socket, whole or (30 % of the time per write) in pieces of 1–64 bytes, one write per turn,
 * so a server sees frames split anywhere. Stops when `stopped()` turns true; calls `done` after the last byte.
 */
export function writeInPieces(socket: Socket, bytes: Buffer, r: Random, stopped: () => boolean, done: () => void): void {
  let at = 0;
  const writeNext = () => {
    if (socket.destroyed || stopped()) return;
    if (at >= bytes.length) return done();
    const piece = bytes.subarray(at, (at += r.chance(0.7) ? bytes.length : r.int(1, 64)));
    socket.write(piece, (err) => (err ? undefined : setImmediate(writeNext)));
  };
  writeNext();
}
