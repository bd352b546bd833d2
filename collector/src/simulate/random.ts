/** A small seeded PRNG (mulberry32) so a simulation with the same seed makes the same choices. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Milliseconds between min and max. */
  delay(minMs: number, maxMs: number): number {
    return minMs + this.next() * (maxMs - minMs);
  }
}

/** First octets of public IPv4 space used for simulated clients (no private, shared, documentation or multicast ranges). */
const PUBLIC_FIRST_OCTETS = [5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 176, 178, 188, 193, 194, 195, 212, 213, 217];

/** Hands out client addresses, each in a /24 no other simulated client uses (so identities never collide). */
export class AddressPool {
  private readonly used = new Set<string>();

  constructor(private readonly random: Random) {}

  next(): string {
    for (;;) {
      const net = `${this.random.pick(PUBLIC_FIRST_OCTETS)}.${this.random.int(0, 255)}.${this.random.int(0, 255)}`;
      if (this.used.has(net)) continue;
      this.used.add(net);
      return `${net}.${this.random.int(2, 254)}`;
    }
  }
}
