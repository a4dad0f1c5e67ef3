import type { ResultTopics } from '../handle.ts';
import type { InputTopics } from '../inputs.ts';

/** Each input and output topic of the result processor under `prefix`, so tests do not share topics. */
export function prefixedTopics(prefix: string): { inputs: InputTopics; outputs: ResultTopics } {
  return {
    inputs: { commands: `${prefix}.commands`, routed: `${prefix}.routed`, assessed: `${prefix}.assessed`, attempts: `${prefix}.attempts`, notifications: `${prefix}.notifications`, repairs: `${prefix}.repairs` },
    outputs: { events: `${prefix}.events`, anomalies: `${prefix}.anomalies` },
  };
}
