// The well-formedness watch: a payload a store process drops as malformed is explained only by
// the garble fault. One dropped while nothing was garbled fails the invariants check (a sender
// broke the protocol); under garbling the same drops are expected and pass.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenario, type EngineFactory } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';

const SCENARIO = (faults: string) => `
name: well-formed
duration: 1500ms
cluster: { machines: 3, shards: 2, replication: 3 }
workload: { clients: 2, rate: 100 }
checks: { settle: 2s }
faults: ${faults}
`;

/** The store's engine, plus a client machine that sends one payload no validator accepts (a reply to a client, a request to a server), at 700 ms. */
function withBogusReply(factory: EngineFactory, to: string): EngineFactory {
  return (world, s, bugs, topology) => {
    const engine = factory(world, s, bugs, topology);
    const payload = to.startsWith('c') ? { kind: 'reply', reqId: 'x' } : { kind: 'req', shard: 0 };
    world.after(700_000, () => world.network.send('c1', to, payload, 'bogus'));
    return engine;
  };
}

function run(faults: string, bogusTo: string | null) {
  const loaded = parseScenarioText('well-formed.yaml', SCENARIO(faults));
  const factory = engineFactoryFor(loaded.scenario, []);
  return runScenario(loaded, { seed: 3 }, bogusTo === null ? factory : withBogusReply(factory, bogusTo));
}

describe('well-formedness watch', () => {
  it('passes a run with no garbling and no malformed payload', () => {
    expect(run('[]', null).checks.invariants.ok).toBe(true);
  });

  it('fails a run in which a client drops a reply it cannot read, with nothing garbled', () => {
    const inv = run('[]', 'c2').checks.invariants;
    expect(inv.ok).toBe(false);
    if (inv.ok) return;
    expect(inv.check).toBe('well-formed');
    expect(inv.message).toMatch(/^well-formed at 70\d{4}us: c2 dropped a malformed 'reply' payload that the network had not garbled/);
  });

  it('counts a server dropping a malformed payload too', () => {
    const inv = run('[]', 'n1').checks.invariants;
    expect(inv.ok).toBe(false);
    expect(!inv.ok && inv.message).toMatch(/n1 dropped a malformed 'req' payload/);
  });

  it('fails a run in which a receiver handles a payload the network garbled', () => {
    // A stand-in for a validator that lets a wrong type through: the network is told that
    // every Raft payload was garbled, and the server (rightly, for an intact batch) acts on it.
    const loaded = parseScenarioText('well-formed.yaml', SCENARIO('[]'));
    const factory = engineFactoryFor(loaded.scenario, []);
    const lying: EngineFactory = (world, s, bugs, topology) => {
      const engine = factory(world, s, bugs, topology);
      const net = world.network;
      const real = net.garbledPath.bind(net);
      net.garbledPath = (p) => (world.nowUs > 600_000 && String((p as { kind?: unknown }).kind).startsWith('raft') ? 'msgs[0].term' : real(p));
      return engine;
    };
    const inv = runScenario(loaded, { seed: 3 }, lying).checks.invariants;
    expect(inv.ok).toBe(false);
    expect(!inv.ok && inv.message).toMatch(/^well-formed at 6\d{5}us: n\d took in a garbled 'raft[^']*' from n\d \(msgs\[0\]\.term had the wrong type\) instead of dropping it/);
  });

  it('expects malformed payloads once the garble fault has garbled a message', () => {
    const s = run('[{ at: 100ms, for: 1s, garble: 0.2 }]', null);
    expect(s.checks.invariants.ok).toBe(true);
  });
});
