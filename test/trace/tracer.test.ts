import { describe, expect, it } from 'vitest';
import { Tracer } from '../../src/trace/tracer.js';
import type { TraceEvent } from '../../src/trace/events.js';

const fault = (t: number, detail: string): TraceEvent => ({ t, type: 'fault', action: 'test', detail });

describe('tracer', () => {
  it('hands an event a listener emits to every listener after the event that caused it', () => {
    const tracer = new Tracer();
    const first: string[] = [];
    const second: string[] = [];
    tracer.listen((e) => {
      if (e.type !== 'fault') return;
      first.push(e.detail);
      if (e.detail === 'cause') tracer.emit(fault(e.t, 'effect'));
      if (e.detail === 'effect') tracer.emit(fault(e.t, 'effect of effect'));
    });
    tracer.listen((e) => {
      if (e.type === 'fault') second.push(e.detail);
    });
    tracer.emit(fault(1, 'cause'));
    tracer.emit(fault(2, 'next'));
    expect(first).toEqual(['cause', 'effect', 'effect of effect', 'next']);
    expect(second).toEqual(['cause', 'effect', 'effect of effect', 'next']);
    expect(tracer.events).toBe(4);
  });

  it('hashes in emission order either way', () => {
    const nested = new Tracer();
    nested.listen((e) => {
      if (e.type === 'fault' && e.detail === 'cause') nested.emit(fault(1, 'effect'));
    });
    nested.emit(fault(1, 'cause'));
    const flat = new Tracer();
    flat.emit(fault(1, 'cause'));
    flat.emit(fault(1, 'effect'));
    expect(nested.hash()).toBe(flat.hash());
  });
});
