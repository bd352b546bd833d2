/** Every listener the collector opens by default is on loopback: exposing one is always an explicit choice. */
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/config/address.js';
import { createDefaultConfig } from '../../src/config/defaults.js';
import { validateConfig } from '../../src/config/validate.js';
import { builtinExtensions } from '../../src/extensions.js';
import { parseListen } from '../../src/serve/pg/config.js';

describe('default listeners', () => {
  it('OTLP/HTTP, OTLP/gRPC and the SQL endpoint listen on loopback only, with no token or TLS assumed', () => {
    const validators = Object.fromEntries(builtinExtensions().flatMap((e) => (e.section && e.validate ? [[e.section, e.validate]] : [])));
    const config = validateConfig(createDefaultConfig(), validators);
    const hosts = [
      parseListenAddress(config.receive.http, 'receive.http').host,
      parseListenAddress(config.receive.grpc, 'receive.grpc').host,
      parseListen((config.sql as { listen: string }).listen).host,
    ];
    expect(hosts).toHaveLength(3);
    for (const host of hosts) expect(ipaddr.parse(host).range(), host).toBe('loopback');
  });
});
