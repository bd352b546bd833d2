import { Actor } from './actor.js';
import type { SimHttpClient } from './http-client.js';
import type { Random } from './random.js';
import { BROWSER_AGENTS, SEARCH_WORDS } from './vocabulary.js';

const SHOP = 'https://shop.example';

/** A person with an account: signs up (or uses a demo account), logs in (sometimes after a typo), browses, searches. */
export class LoggedInUser extends Actor {
  private token: string | undefined;
  private registered: boolean;
  private readonly ua: string;

  constructor(
    name: string,
    rnd: Random,
    private readonly ip: string,
    private readonly username: string,
    private readonly password: string,
    existingAccount: boolean,
    scenario = 'logged-in user',
  ) {
    super(name, scenario, 'benign', rnd);
    this.registered = existingAccount;
    this.ua = rnd.pick(BROWSER_AGENTS);
  }

  private base() {
    return { ip: this.ip, userAgent: this.ua, referer: `${SHOP}/`, token: this.token };
  }

  async step(http: SimHttpClient): Promise<void> {
    if (!this.registered) {
      const r = await this.send(http, { ...this.base(), method: 'POST', path: '/signup', body: { username: this.username, password: this.password } }, this.username, [201]);
      this.registered = r.status === 201 || r.status === 409;
      return;
    }
    if (!this.token) {
      if (this.rnd.chance(0.1)) {
        await this.send(http, { ...this.base(), method: 'POST', path: '/login', body: { username: this.username, password: `${this.password}x` } }, this.username, [200]);
      }
      const r = await this.send(http, { ...this.base(), method: 'POST', path: '/login', body: { username: this.username, password: this.password } }, this.username, [200]);
      this.token = r.status === 200 ? (r.json as { token?: string } | null)?.token : undefined;
      return;
    }
    const roll = this.rnd.next();
    if (roll < 0.35) await this.send(http, { ...this.base(), method: 'GET', path: '/products' }, this.username);
    else if (roll < 0.7) await this.send(http, { ...this.base(), method: 'GET', path: `/products/${this.rnd.int(1, 6)}` }, this.username);
    else if (roll < 0.95) await this.send(http, { ...this.base(), method: 'GET', path: `/search?q=${this.rnd.pick(SEARCH_WORDS)}` }, this.username);
    else if (roll < 0.98) await this.send(http, { ...this.base(), method: 'GET', path: `/products/${this.rnd.int(7, 40)}` }, this.username); // stale link: 404
    else {
      await this.send(http, { ...this.base(), method: 'POST', path: '/logout' }, this.username);
      this.token = undefined;
    }
  }

  delayMs(): number {
    return this.rnd.delay(400, 2000);
  }
}

/** A visitor who never logs in: browses products and searches, with a referer, at human pace. */
export class AnonymousVisitor extends Actor {
  private readonly ua: string;

  constructor(name: string, rnd: Random, private readonly ip: string) {
    super(name, 'anonymous visitor', 'benign', rnd);
    this.ua = rnd.pick(BROWSER_AGENTS);
  }

  async step(http: SimHttpClient): Promise<void> {
    const roll = this.rnd.next();
    const path =
      roll < 0.1 ? '/' : roll < 0.45 ? '/products' : roll < 0.8 ? `/products/${this.rnd.int(1, 6)}` : `/search?q=${this.rnd.pick(SEARCH_WORDS)}`;
    await this.send(http, { method: 'GET', path, ip: this.ip, userAgent: this.ua, referer: `${SHOP}/` });
  }

  delayMs(): number {
    return this.rnd.delay(800, 3000);
  }
}

/**
 * A legitimate integration: one account, a library user agent, no referer, many requests a second polling a few
 * resources (high volume, small breadth).
 */
export class ApiClient extends Actor {
  private token: string | undefined;
  private registered = false;
  private readonly skus: string[];

  constructor(name: string, rnd: Random, private readonly ip: string, private readonly username: string, private readonly ratePerSecond: number) {
    super(name, 'legit high-volume API client', 'benign', rnd);
    this.skus = SEARCH_WORDS.slice(0, 4);
  }

  async step(http: SimHttpClient): Promise<void> {
    const base = { ip: this.ip, userAgent: 'acme-inventory-sync/2.3 (node)', token: this.token };
    const creds = { username: this.username, password: 'integration-secret' };
    if (!this.registered) {
      const r = await this.send(http, { ...base, method: 'POST', path: '/signup', body: creds }, this.username, [201]);
      this.registered = r.status === 201 || r.status === 409;
      return;
    }
    if (!this.token) {
      const r = await this.send(http, { ...base, method: 'POST', path: '/login', body: creds }, this.username, [200]);
      this.token = (r.json as { token?: string } | null)?.token;
      return;
    }
    const roll = this.rnd.next();
    const path = roll < 0.4 ? '/products' : roll < 0.8 ? `/products/${this.rnd.int(1, 6)}` : `/search?q=${this.rnd.pick(this.skus)}`;
    await this.send(http, { ...base, method: 'GET', path }, this.username);
  }

  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.ratePerSecond);
  }
}
