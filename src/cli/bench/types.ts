// A benchmark section measures one layer and returns figures, each with its target if any.
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** A comparison the value should satisfy, e.g. ">= 2000000" or "<= 10000". */
  target?: string;
  /** Short key for --json, e.g. "eventsPerSec". */
  key?: string;
}

export interface BenchSection {
  name: string;
  run(quick: boolean): BenchFigure[] | Promise<BenchFigure[]>;
}

export function meetsTarget(figure: BenchFigure): boolean | null {
  if (figure.target === undefined) return null;
  const match = /^(>=|<=)\s*(-?\d+(?:\.\d+)?)$/.exec(figure.target);
  if (match === null) return null;
  const bound = Number(match[2]);
  return match[1] === '>=' ? figure.value >= bound : figure.value <= bound;
}
