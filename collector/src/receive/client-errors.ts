import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Answers requests that cannot be parsed (bad framing, oversized headers) without breaking HTTP/1.1 pipelining.
 * Node writes its 400 the moment the parser fails, even while an earlier request on the same connection is still
 * waiting for its commit; the client reads that 400 as the answer to the earlier request, which was in fact stored.
 * Here the earlier requests are answered first and the connection is then closed, leaving the malformed one
 * unanswered (as the connection ends, the client knows it was not processed). With nothing pending it answers at
 * once with 400, 408 or 431 and closes, as Node does.
 *
 * `track` goes on the server's 'request' event; `handle` is the server's client-error handler.
 */
export function pipelineSafeClientErrors(): {
  track(server: HttpServer): void;
  handle(err: Error & { code?: string }, socket: Socket): void;
} {
  /** Requests of each connection whose answer has not been sent yet. */
  const unanswered = new WeakMap<Socket, Set<IncomingMessage>>();
  const closeWhenAnswered = new WeakSet<Socket>();
  // Read in full (the parser sets `complete` as it finishes a message, before any 'end' event): a 400 written now
  // would be taken for their answer.
  const owesAnswers = (socket: Socket) => [...(unanswered.get(socket) ?? [])].some((req) => req.complete);

  return {
    track(server) {
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const socket = req.socket; // res.socket is still null while an earlier response holds the connection
        let waiting = unanswered.get(socket);
        if (!waiting) unanswered.set(socket, (waiting = new Set()));
        waiting.add(req);
        res.once('close', () => {
          waiting.delete(req);
          // end, not destroy: the last answer may still be in the socket's buffer.
          if (closeWhenAnswered.has(socket) && !owesAnswers(socket)) socket.end(() => socket.destroy());
        });
      });
    },
    handle(err, socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      if (owesAnswers(socket)) {
        closeWhenAnswered.add(socket);
        return;
      }
      const [status, label] = STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
      if (socket.writable) {
        const body = JSON.stringify({ error: label, message: 'Client Error', statusCode: status });
        socket.write(`HTTP/1.1 ${status} ${label}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy();
    },
  };
}
