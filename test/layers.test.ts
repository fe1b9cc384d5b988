import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Every module of src/ with the modules of src/ it imports (static, type-only and dynamic imports alike). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    if (!path.endsWith('.ts')) continue;
    const file = join(SRC, path);
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => relative(SRC, resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** The imports of the modules `from` selects that land in a module `to` selects. */
function crossings(graph: Map<string, string[]>, from: (path: string) => boolean, to: (path: string) => boolean): string[] {
  return [...graph].flatMap(([file, targets]) => (from(file) ? targets.filter(to).map((target) => `${file} → ${target}`) : []));
}

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);

it('layers: store and protocol never import the supervisor; options import no supervisor either (no cycle through shard-count)', () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(50);
  expect(crossings(graph, under('store'), under('supervisor'))).toEqual([]);
  expect(crossings(graph, under('protocol'), under('supervisor'))).toEqual([]);
  // protocol is the bottom layer: it never reaches the HTTP client either.
  expect(crossings(graph, under('protocol'), under('http'))).toEqual([]);
  expect(crossings(graph, (p) => p === 'options.ts' || under('options')(p), under('supervisor'))).toEqual([]);
  // options/ (the schema, the checks, the shared sections) sits below every folder that declares options with it.
  expect(crossings(graph, under('options'), (p) => !under('options')(p) && p !== 'errors.ts')).toEqual([]);
  expect(crossings(graph, (p) => under('http')(p) || under('testing')(p), (p) => under('supervisor')(p) || p === 'options.ts')).toEqual([]);
});

it('layers: the supervisor names no transport (it runs the Transport the connector hands it), and no transport reaches up to it', () => {
  const graph = importGraph();
  // transports/transport.ts is the seam itself: the supervisor may know the interface and nothing beside it.
  expect(crossings(graph, under('supervisor'), (p) => under('transports')(p) && p !== 'transports/transport.ts')).toEqual([]);
  expect(crossings(graph, under('transports'), under('supervisor'))).toEqual([]);
  // The shared worker protocol carries a transport's own messages as opaque payloads: it imports no transport.
  expect(crossings(graph, under('protocol'), under('transports'))).toEqual([]);
});

it('layers: the REST client points one way — bodies ← messages ← replies ← http (no folder cycle)', () => {
  const graph = importGraph();
  const inFolders = (...dirs: string[]) => (path: string) => dirs.some((dir) => under(dir)(path));
  // Body types sit below everything: they import no module of src/.
  expect(crossings(graph, under('bodies'), () => true)).toEqual([]);
  expect(crossings(graph, under('messages'), inFolders('http', 'replies'))).toEqual([]);
  // Replies talk to the endpoints through an interface of their own: they never import the HTTP client.
  expect(crossings(graph, under('replies'), inFolders('http', 'supervisor', 'transports', 'store'))).toEqual([]);
  expect(graph.has('bodies/message-bodies.ts') && graph.has('replies/reply.ts') && graph.has('http/rest-request.ts')).toBe(true);
});

it('layers: the fleet stands apart from the store — interfaces for the supervisor, implementations offered by the stores', () => {
  const graph = importGraph();
  const inFolders = (...dirs: string[]) => (path: string) => dirs.some((dir) => under(dir)(path));
  const FLEET_INTERFACES = ['fleet/fleet.ts', 'fleet/leases.ts', 'fleet/identify-gate.ts', 'fleet/shard-count.ts'];
  // The fleet reaches down only: protocol, errors, util, the option checks, and of the store the Redis client the
  // two share (a store and its fleet ride one connection) and the store's error factories.
  const fleetMayImport = (p: string): boolean =>
    inFolders('fleet', 'options', 'protocol', 'util')(p) || ['errors.ts', 'store/redis-connection.ts', 'store/checkpoint-codec.ts'].includes(p);
  expect(crossings(graph, under('fleet'), (p) => !fleetMayImport(p))).toEqual([]);
  // The supervisor uses the fleet through its interfaces only; the connector picks the single-process gate.
  expect(crossings(graph, under('supervisor'), (p) => under('fleet')(p) && !FLEET_INTERFACES.includes(p))).toEqual([]);
  // A store imports the fleet only to offer its own (the durable stores, whose writes the leases fence).
  const offering = ['store/session-store.ts', 'store/redis-session-store.ts', 'store/file-session-store.ts'];
  expect(crossings(graph, (p) => under('store')(p) && !offering.includes(p), under('fleet'))).toEqual([]);
  expect(crossings(graph, under('store'), under('supervisor'))).toEqual([]);
  expect(FLEET_INTERFACES.every((p) => graph.has(p)) && graph.has('fleet/memory-identify-gate.ts') && graph.has('fleet/redis-leases.ts')).toBe(true);
});
