import { describe, expect, it } from 'vitest';
import { parseEndpoint, parseEndpoints } from '../src/index.js';

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':9000', { host: '127.0.0.1', port: 9000 }],
    ['9000', { host: '127.0.0.1', port: 9000 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:81', { host: '::1', port: 81 }],
  ])('reads %s', (text, ep) => {
    expect(parseEndpoint(text)).toEqual({ ok: true, value: ep });
  });

  it.each(['', 'host', 'host:', 'h:70000', 'h:-1', 'h:8a'])('refuses %j', (bad) => {
    const r = parseEndpoint(bad, '--listen');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('--listen');
  });

  it('reads a list of targets', () => {
    const r = parseEndpoints('127.0.0.1:1,127.0.0.1:2');
    expect(r.ok && r.value.map((e) => e.port)).toEqual([1, 2]);
  });
});
