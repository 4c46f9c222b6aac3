// Every malformed scenario exits 2 with exactly one line naming the file, the place and what
// was expected — never a stack trace.
import { describe, expect, it } from 'vitest';
import { kvsim } from '../cli/helpers.js';

const dir = 'test/fixtures/bad-scenarios';
const cases: [file: string, located: RegExp][] = [
  ['unknown-key.yaml', /unknown-key\.yaml:4:3: cluster\.machnes: unknown key "machnes" \(did you mean "machines"\?\)/],
  ['bad-duration.yaml', /bad-duration\.yaml:1:11: duration: expected a duration like 500us, 150ms, 2s or 1m, got "10 seconds"/],
  ['missing-duration.yaml', /missing-duration\.yaml:1:1: duration: missing/],
  ['wrong-type.yaml', /wrong-type\.yaml:3:13: cluster\.machines: expected number, got "three"/],
  ['fault-typo.yaml', /fault-typo\.yaml:8:5: faults\[1\]\.crsh: unknown key "crsh" \(did you mean "crash"\?\)/],
  ['two-actions.yaml', /two-actions\.yaml:5:5: faults\[0\]: expected exactly one action, got crash and pause/],
  ['no-trigger.yaml', /no-trigger\.yaml:5:5: faults\[0\]: expected exactly one trigger: at, every or when/],
  ['bad-target.yaml', /bad-target\.yaml:6:12: faults\[0\]\.crash: expected a machine \(n3\)/],
  ['bad-probability.yaml', /bad-probability\.yaml:5:9: network\.drop: expected number to be <=1/],
  ['bad-yaml.yaml', /bad-yaml\.yaml:3:1: invalid YAML/],
  ['duplicate-key.yaml', /duplicate-key\.yaml:2:1: duplicate key/],
  ['empty.yaml', /empty\.yaml:1:1: empty file/],
  ['top-level-list.yaml', /top-level-list\.yaml:1:1: expected a mapping at the top level/],
  ['unknown-expect-field.yaml', /unknown-expect-field\.yaml:5:3: expect\.electons: unknown summary field "electons"/],
  ['bad-comparison.yaml', /bad-comparison\.yaml:5:14: expect\.elections: expected a comparison like ">= 1"/],
  ['bad-skew.yaml', /bad-skew\.yaml:6:34: faults\[0\]\.skew\.offset: expected a duration/],
  ['quiesce-per-group.yaml', /quiesce-per-group\.yaml:6:12: raft\.quiesce: quiesce needs coalesced heartbeats/],
  ['event-target-without-event.yaml', /event-target-without-event\.yaml:5:5: faults\[0\]: involved names a machine of the protocol event that fires the fault; expected a `when: \{ event: \.\.\. \}` trigger/],
  ['bad-event.yaml', /bad-event\.yaml:5:20: faults\[0\]\.when\.event: .*expected one of "truncated"\|"voteGranted"/],
  ['event-options-without-event.yaml', /event-options-without-event\.yaml:5:11: faults\[0\]\.when: `shard`, `nth` and `delay` only go with `event`/],
  // The YAML library's own resource guard trips: still bad input, located at the first alias.
  ['alias-bomb.yaml', /alias-bomb\.yaml:3:8: invalid YAML: aliases expand beyond 100 copies/],
];

describe('malformed scenario files', () => {
  it.each(cases)('%s exits 2 with one located line', (file, located) => {
    const result = kvsim(['run', `${dir}/${file}`]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(located);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a missing file exits 2 naming it', () => {
    const result = kvsim(['run', 'missing.yaml']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('kvsim: missing.yaml: no such file');
  });

  it('a directory instead of a file exits 2', () => {
    const result = kvsim(['run', 'scenarios']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/scenarios: is a directory/);
  });

  it('bad flags exit 2 with one line', () => {
    const bad = kvsim(['run', 'scenarios/demo-ping.yaml', '--seed', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('kvsim: --seed: expected a non-negative integer, got "abc"');
    const unknown = kvsim(['run', 'scenarios/demo-ping.yaml', '--sed', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--sed'/);
    const noCommand = kvsim(['frobnicate']);
    expect(noCommand.code).toBe(2);
  });
});
