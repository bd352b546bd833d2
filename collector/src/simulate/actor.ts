import { maskIp } from '@spyglass/core';
import type { SimHttpClient, SimRequest, SimResponse } from './http-client.js';
import type { Random } from './random.js';

export type ActorKind = 'benign' | 'attack';

/**
 * One simulated client. It knows which Spyglass identities its requests produce (its user name when the API knows
 * who it is, else its masked network), and when each was first used, so a test can check every attacker identity
 * was flagged and no benign one was, and measure time-to-flag.
 */
export abstract class Actor {
  /** Identity → wall-clock ms of its first request. */
  readonly identities = new Map<string, number>();
  requests = 0;

  constructor(
    readonly name: string,
    readonly scenario: string,
    readonly kind: ActorKind,
    protected readonly rnd: Random,
  ) {}

  /** Performs the actor's next action (one request or a short sequence). */
  abstract step(http: SimHttpClient): Promise<void>;

  /** Pause before the next step. */
  abstract delayMs(): number;

  /**
   * Sends a request and records the identity it is attributed to: `user` when the request carries a session token
   * or (for login/sign-up) when it succeeds with one of `okStatuses`; otherwise the masked client network.
   */
  protected async send(http: SimHttpClient, req: SimRequest, user?: string, okStatuses: readonly number[] = []): Promise<SimResponse> {
    const started = Date.now();
    const res = await http.send(req);
    this.requests++;
    const identity = user && (req.token || okStatuses.includes(res.status)) ? user : maskIp(req.ip);
    if (identity && !this.identities.has(identity)) this.identities.set(identity, started);
    return res;
  }
}
