import type { Actor } from './actor.js';
import { BruteForcer, CredentialStuffer, Enumerator, Fuzzer, ResetEnumerator, Scanner, Scraper, SignupBot } from './attack-actors.js';
import { AnonymousVisitor, ApiClient, LoggedInUser } from './benign-actors.js';
import { AddressPool, Random } from './random.js';

/** Accounts the demo API ships with (packages/demo-api/src/users.ts); the NAT users log in with these. */
const DEMO_ACCOUNTS = [
  { username: 'alice', password: 'wonderland' },
  { username: 'bob', password: 'builder' },
  { username: 'carol', password: 'singer' },
  { username: 'dave', password: 'diver' },
];

export interface PopulationOptions {
  seed: number;
  /** Include attackers. @default true */
  attacks?: boolean;
  /** Multiplies every actor's request rate. @default 1 */
  rateScale?: number;
}

/**
 * The simulated clients of one run, with randomised (seeded) counts, addresses and rates: logged-in users,
 * anonymous visitors, a legit high-volume API client, users behind one NAT, and one actor per attack scenario.
 */
export function buildPopulation(options: PopulationOptions): Actor[] {
  const rnd = new Random(options.seed);
  const ips = new AddressPool(rnd);
  const scale = options.rateScale ?? 1;
  const actors: Actor[] = [];
  const child = () => new Random(rnd.int(1, 2 ** 31));

  const users = rnd.int(3, 6);
  for (let i = 0; i < users; i++) {
    actors.push(new LoggedInUser(`user-${i + 1}`, child(), ips.next(), `shopper${options.seed % 1000}x${i + 1}`, `pw-${rnd.int(1000, 9999)}`, false));
  }
  const visitors = rnd.int(4, 8);
  for (let i = 0; i < visitors; i++) actors.push(new AnonymousVisitor(`visitor-${i + 1}`, child(), ips.next()));
  actors.push(new ApiClient('api-client', child(), ips.next(), `acme-sync-${options.seed % 1000}`, rnd.int(8, 15) * scale));
  const natIp = ips.next();
  for (const [i, acct] of DEMO_ACCOUNTS.entries()) {
    actors.push(new LoggedInUser(`nat-user-${i + 1}`, child(), natIp, acct.username, acct.password, true, 'user behind a shared NAT'));
  }

  if (options.attacks !== false) {
    const r = (min: number, max: number) => rnd.delay(min, max) * scale;
    actors.push(new Enumerator('enumerator', child(), ips.next(), r(2, 4)));
    actors.push(new Fuzzer('fuzzer', child(), ips.next(), r(1, 2)));
    const pool = Array.from({ length: rnd.int(10, 16) }, () => ips.next());
    actors.push(new CredentialStuffer('stuffer', child(), pool, r(5, 8)));
    actors.push(new BruteForcer('brute-forcer', child(), ips.next(), rnd.pick(DEMO_ACCOUNTS).username, r(1.5, 3)));
    actors.push(new Scraper('scraper', child(), ips.next(), r(4, 6)));
    actors.push(new SignupBot('signup-bot', child(), ips.next(), r(0.5, 1)));
    actors.push(new ResetEnumerator('reset-enumerator', child(), ips.next(), r(1, 2)));
    actors.push(new Scanner('scanner', child(), ips.next(), r(1, 2)));
  }
  return actors;
}
