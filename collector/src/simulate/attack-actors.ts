import { Actor } from './actor.js';
import type { SimHttpClient } from './http-client.js';
import type { Random } from './random.js';
import { COMMON_PASSWORDS, ENUM_SEGMENTS, FUZZ_INPUTS, SCANNER_AGENTS, SCANNER_PATHS, SEARCH_WORDS } from './vocabulary.js';

const TOOL_UA = 'python-requests/2.31.0';

/** Walks made-up API paths, nearly all 404 (OAT-014/018). */
export class Enumerator extends Actor {
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, '404 enumeration', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const path = `/api/${this.rnd.pick(ENUM_SEGMENTS)}/${this.rnd.pick(ENUM_SEGMENTS)}`;
    await this.send(http, { method: 'GET', path, ip: this.ip, userAgent: TOOL_UA });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Sends malformed input to the fragile endpoint until it breaks (500s). */
export class Fuzzer extends Actor {
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, 'fuzzing (500s)', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const n = this.rnd.chance(0.15) ? String(this.rnd.int(1, 99)) : encodeURIComponent(this.rnd.pick(FUZZ_INPUTS));
    await this.send(http, { method: 'GET', path: `/fragile?n=${n}`, ip: this.ip, userAgent: TOOL_UA });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Tries leaked user/password pairs, rotating through a pool of addresses in different networks (OAT-008). */
export class CredentialStuffer extends Actor {
  private next = 0;
  constructor(name: string, rnd: Random, private readonly pool: string[], private readonly rate: number) {
    super(name, 'credential stuffing (rotating IPs)', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const ip = this.pool[this.next++ % this.pool.length];
    const body = { username: `user${this.rnd.int(1000, 99999)}@mail.example`, password: this.rnd.pick(COMMON_PASSWORDS) };
    await this.send(http, { method: 'POST', path: '/login', ip, userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36', body });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Guesses one account's password from one address (OAT-007). */
export class BruteForcer extends Actor {
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly victim: string, private readonly rate: number) {
    super(name, 'brute force (one account)', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const body = { username: this.victim, password: `${this.rnd.pick(COMMON_PASSWORDS)}${this.rnd.int(0, 999)}` };
    await this.send(http, { method: 'POST', path: '/login', ip: this.ip, userAgent: TOOL_UA, body }, this.victim, [200]);
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Copies the catalogue: pages through listings and searches every word it knows (OAT-011). */
export class Scraper extends Actor {
  private page = 0;
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, 'scraping', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    this.page++;
    const roll = this.rnd.next();
    const path =
      roll < 0.5 ? `/products?page=${this.page}&sort=price` : roll < 0.8 ? `/search?q=${this.rnd.pick(SEARCH_WORDS)}${this.page}` : `/products/${this.rnd.int(1, 6)}?ref=${this.page}`;
    await this.send(http, { method: 'GET', path, ip: this.ip, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36' });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Registers throw-away accounts from one address (OAT-019). Each account it creates is an attacker identity too. */
export class SignupBot extends Actor {
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, 'automated sign-ups', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const username = `promo${this.rnd.int(100000, 999999)}`;
    await this.send(http, { method: 'POST', path: '/signup', ip: this.ip, userAgent: TOOL_UA, body: { username, password: 'Passw0rd!' } }, username, [201]);
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** Asks for password resets for a list of user names to learn which exist (account enumeration). */
export class ResetEnumerator extends Actor {
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, 'password-reset enumeration', 'attack', rnd);
  }
  async step(http: SimHttpClient): Promise<void> {
    const username = `${this.rnd.pick(['john', 'jane', 'admin', 'support', 'info', 'sales', 'ceo', 'dev'])}${this.rnd.int(0, 99)}`;
    await this.send(http, { method: 'POST', path: '/password-reset', ip: this.ip, userAgent: TOOL_UA, body: { username } });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}

/** A vulnerability scanner announcing itself in the User-Agent (OAT-014). */
export class Scanner extends Actor {
  private i = 0;
  private readonly ua: string;
  constructor(name: string, rnd: Random, private readonly ip: string, private readonly rate: number) {
    super(name, 'scanner user agent', 'attack', rnd);
    this.ua = rnd.pick(SCANNER_AGENTS);
  }
  async step(http: SimHttpClient): Promise<void> {
    const path = SCANNER_PATHS[this.i++ % SCANNER_PATHS.length];
    await this.send(http, { method: this.rnd.chance(0.2) ? 'HEAD' : 'GET', path, ip: this.ip, userAgent: this.ua });
  }
  delayMs(): number {
    return this.rnd.delay(0.5, 1.5) * (1000 / this.rate);
  }
}
