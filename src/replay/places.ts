// Where machines are, read back from a trace: run.start's `places` (only when the scenario has a
// topology), plus the machine a membership `replace` brings in, which takes the place of the one
// it replaces. The report and the TUI label machines with it; a trace without places gives
// null, and then nothing they draw changes.
import type { Place } from '../base/place.js';
import type { TraceEvent } from '../trace/events.js';

export interface ZonePlace {
  zone: string;
  region: string;
}

export class TracePlaces {
  /** Regions in first-seen order (the topology's order: the trace lists places in it). */
  readonly regions: string[] = [];
  /** Zones in first-seen order. */
  readonly zones: ZonePlace[] = [];
  private readonly byMachine = new Map<string, Place>();

  /** The places of run.start, or null when it has none (a scenario without a topology). */
  static fromStart(event: TraceEvent | undefined): TracePlaces | null {
    if (event?.type !== 'run.start' || event.places === undefined) return null;
    const places = new TracePlaces();
    for (const [machine, p] of Object.entries(event.places)) {
      // run.start is written by our own runner, but a trace file is still a parse boundary.
      if (typeof p?.region !== 'string' || typeof p.zone !== 'string') continue;
      places.set(machine, { region: p.region, zone: p.zone });
    }
    return places.byMachine.size === 0 ? null : places;
  }

  private set(machine: string, place: Place): void {
    this.byMachine.set(machine, place);
    if (!this.regions.includes(place.region)) this.regions.push(place.region);
    if (!this.zones.some((z) => z.zone === place.zone && z.region === place.region)) this.zones.push({ zone: place.zone, region: place.region });
  }

  /** Follows the events that move a machine into a place: a replacement takes the replaced one's. */
  note(event: TraceEvent): void {
    if (event.type !== 'store.membership' || event.action !== 'replace' || event.replacement === null) return;
    const old = this.byMachine.get(event.machine);
    if (old !== undefined && !this.byMachine.has(event.replacement)) this.set(event.replacement, old);
  }

  get(machine: string): Place | undefined {
    return this.byMachine.get(machine);
  }

  /** "us-west-a": the zone, which names its region too; else "region/zone". Undefined: no place. */
  label(machine: string): string | undefined {
    const p = this.byMachine.get(machine);
    return p === undefined ? undefined : placeLabel(p);
  }

  /** Every placed machine, in the trace's order. */
  machines(): string[] {
    return [...this.byMachine.keys()];
  }

  regionIndex(region: string): number {
    return this.regions.indexOf(region);
  }
}

/** A zone name usually starts with its region's ("us-west-a" in us-west); otherwise both are said. */
export function placeLabel(p: Place): string {
  return p.zone.startsWith(p.region) ? p.zone : `${p.region}/${p.zone}`;
}

/** The zone without its region's name ("a" for us-west-a), for rows already grouped by region. */
export function zoneShortLabel(p: Place): string {
  if (p.zone.startsWith(p.region)) {
    const rest = p.zone.slice(p.region.length).replace(/^[-_.\s]+/, '');
    if (rest !== '') return rest;
  }
  return p.zone;
}

/** Workload client machines (c1, c2, ...): the operator's machines (pd, probe) are not load. */
export function isClientMachine(name: string): boolean {
  return /^c[0-9]+$/.test(name);
}

/** Levels any replica may serve, possibly stale: every read level except linearizable and lease. */
export function isFollowerLevel(level: string): boolean {
  return level !== 'linearizable' && level !== 'lease';
}
