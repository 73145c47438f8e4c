// A representative subset of a definition's compensation paths for the end-to-end suites,
// where every path costs a saga over HTTP: chosen greedily so that together they still take
// every transition into COMPENSATING, FAILED and COMPENSATED, every outcome of every step,
// item and compensation, every pair of consecutive events the model has (so each "this
// outcome, then that one" interleaving lands once for real), and both final statuses.
import type { SagaDefinition } from '@app/saga-machines';
import {
  compensationTransitions,
  transitionsTaken,
  type CompensationPath,
} from '@app/saga-machines/testing';

type Event = { type: string; step?: string; item?: number };
const signature = (e: Event) =>
  e.step === undefined ? e.type : `${e.type}(${e.step}${e.item === undefined ? '' : `#${e.item}`})`;

function featuresOf(definition: SagaDefinition, path: CompensationPath): Set<string> {
  const features = new Set<string>([`end ${JSON.stringify(path.state.value)}`]);
  const events = path.steps.slice(1).map((s) => signature(s.event as Event));
  events.forEach((e, i) => {
    features.add(e);
    if (i > 0) features.add(`${events[i - 1]} → ${e}`);
  });
  const wanted = new Set(compensationTransitions(definition).map((e) => e.id));
  for (const t of transitionsTaken(definition, path)) {
    (t.target ?? [t.source]).forEach((_, k) => {
      const index = [
        ...[...t.source.transitions.values()].flat(),
        ...(t.source.always ?? []),
      ].indexOf(t);
      const id = `${t.source.id}:${index}:${k}`;
      if (wanted.has(id)) features.add(`transition ${id}`);
    });
  }
  return features;
}

/** Greedy set cover: the path adding the most features first, ties to the shorter one. */
export function coveringPaths(
  definition: SagaDefinition,
  paths: readonly CompensationPath[],
): CompensationPath[] {
  const features = paths.map((p) => featuresOf(definition, p));
  const covered = new Set<string>();
  const chosen: CompensationPath[] = [];
  for (;;) {
    let best = -1;
    let gain = 0;
    features.forEach((f, i) => {
      const g = [...f].filter((x) => !covered.has(x)).length;
      if (g > gain || (g === gain && g > 0 && paths[i].steps.length < paths[best].steps.length)) {
        best = i;
        gain = g;
      }
    });
    if (best < 0) return chosen;
    chosen.push(paths[best]);
    features[best].forEach((x) => covered.add(x));
  }
}
