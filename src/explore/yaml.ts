// Scenario objects to YAML text: a normal, commented scenario file. Sections are block maps;
// small leaf values (latency, levels, partition sides, fault parameters) are written in flow
// style so each fault reads as a few short lines, like the hand-written scenarios.
import { Document, isCollection, isPair, isScalar, visit } from 'yaml';
import type { ScenarioInput } from './arbitraries.js';

/** Nesting depth (in collections) from which values are written in flow style. */
const FLOW_DEPTH_SECTIONS = 2;
const FLOW_DEPTH_FAULTS = 3;

export function scenarioToYaml(scenario: ScenarioInput, comment: readonly string[] = []): string {
  const doc = new Document(scenario);
  visit(doc, {
    Map(_key, node, path) {
      const depth = path.filter((p) => isCollection(p)).length;
      const inFaults = path.some((p) => isPair(p) && isScalar(p.key) && p.key.value === 'faults');
      if (depth >= (inFaults ? FLOW_DEPTH_FAULTS : FLOW_DEPTH_SECTIONS)) node.flow = true;
    },
    Seq(_key, node, path) {
      const depth = path.filter((p) => isCollection(p)).length;
      const inFaults = path.some((p) => isPair(p) && isScalar(p.key) && p.key.value === 'faults');
      if (depth >= (inFaults ? FLOW_DEPTH_FAULTS : FLOW_DEPTH_SECTIONS)) node.flow = true;
    },
  });
  const header = comment.map((line) => (line === '' ? '#' : `# ${line}`)).join('\n');
  const body = doc.toString({ lineWidth: 0 });
  return header === '' ? body : `${header}\n${body}`;
}
