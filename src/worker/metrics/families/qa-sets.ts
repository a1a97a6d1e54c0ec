/**
 * Which set a QA pair belongs to, by the base name of the file it was read from: "retain…" is
 * retain, "holdout…" holdout, anything else forget (a `--qa` folder such as resources/testbed/qa
 * holds forget10.jsonl, retain.jsonl and holdout.jsonl). Used by the knowledge, truth-ratio and
 * KnowMem families.
 */
import type { QaPair } from '../../data/documents.ts';
import type { SetName } from './family.ts';

export function qaSetOf(pair: QaPair): SetName {
  const file = pair.id.slice(0, pair.id.lastIndexOf(':'));
  const base = file.slice(file.lastIndexOf('/') + 1).toLowerCase();
  if (base.startsWith('retain')) return 'retain';
  if (base.startsWith('holdout')) return 'holdout';
  return 'forget';
}

/** The pairs of each set, in input order. */
export function qaBySet(pairs: readonly QaPair[]): Record<SetName, QaPair[]> {
  const groups: Record<SetName, QaPair[]> = { forget: [], retain: [], holdout: [] };
  for (const pair of pairs) groups[qaSetOf(pair)].push(pair);
  return groups;
}
