import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** In-memory accounts and sessions. Demo only: everything is lost on restart. */
export interface User {
  username: string;
  admin: boolean;
  salt: string;
  passwordHash: Buffer;
}

const hash = (salt: string, password: string) => createHash('sha256').update(salt).update(password).digest();

export class UserStore {
  private readonly users = new Map<string, User>();
  private readonly sessions = new Map<string, string>();

  constructor(seed: Array<{ username: string; password: string; admin?: boolean }> = DEMO_USERS) {
    for (const u of seed) this.add(u.username, u.password, u.admin ?? false);
  }

  add(username: string, password: string, admin = false): User | undefined {
    if (this.users.has(username)) return undefined;
    const salt = randomBytes(8).toString('hex');
    const user = { username, admin, salt, passwordHash: hash(salt, password) };
    this.users.set(username, user);
    return user;
  }

  get(username: string): User | undefined {
    return this.users.get(username);
  }

  list(): User[] {
    return [...this.users.values()];
  }

  /** Returns a session token, or undefined when the username or password is wrong. */
  login(username: string, password: string): string | undefined {
    const user = this.users.get(username);
    if (!user || !timingSafeEqual(user.passwordHash, hash(user.salt, password))) return undefined;
    const token = randomBytes(16).toString('hex');
    this.sessions.set(token, username);
    return token;
  }

  userForToken(token: string): User | undefined {
    const username = this.sessions.get(token);
    return username === undefined ? undefined : this.users.get(username);
  }

  logout(token: string): void {
    this.sessions.delete(token);
  }
}

/** Accounts the demo starts with (the traffic generator logs in as these). */
export const DEMO_USERS = [
  { username: 'alice', password: 'wonderland', admin: true },
  { username: 'bob', password: 'builder' },
  { username: 'carol', password: 'singer' },
  { username: 'dave', password: 'diver' },
];
