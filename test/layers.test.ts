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
    const targets = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
      relative(SRC, resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts'))),
    );
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

/** The imports of the modules `from` selects that land in a module `to` selects. */
function crossings(
  graph: Map<string, string[]>,
  from: (path: string) => boolean,
  to: (path: string) => boolean,
): string[] {
  return [...graph].flatMap(([file, targets]) =>
    from(file) ? targets.filter(to).map((target) => `${file} → ${target}`) : [],
  );
}

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);

/** A module's layer: its folder (`store/`), or the file itself for a module at the top of src/ (`connector.ts`). */
function layerOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash + 1);
}

/**
 * The allowed import graph, layer by layer (docs/design-notes.md, "The map"): every edge between two layers that is
 * not listed here fails the test. Imports within a layer are free; an entry may also name one file of a layer (the
 * supervisor sees the transports only through their interface).
 */
const ALLOWED: Record<string, readonly string[]> = {
  'errors.ts': [],
  'protocol/': ['errors.ts'],
  'events.ts': ['errors.ts', 'protocol/'],
  'util/': ['errors.ts'],
  'options/': ['errors.ts'],
  'bodies/': [],
  'messages/': ['bodies/', 'errors.ts', 'options/'],
  'replies/': ['bodies/', 'errors.ts', 'messages/', 'options/', 'protocol/', 'util/'],
  'http/': ['bodies/', 'errors.ts', 'options/', 'protocol/', 'replies/', 'util/'],
  'metrics/': ['errors.ts', 'options/'],
  'delivery/': ['errors.ts', 'events.ts', 'metrics/', 'protocol/'],
  // The one Redis client, below the store and the fleet: a store and the fleet it offers ride one connection.
  'redis-client/': ['errors.ts', 'options/', 'util/'],
  'fleet/': ['errors.ts', 'options/', 'protocol/', 'redis-client/', 'util/'],
  'store/': ['errors.ts', 'fleet/', 'options/', 'redis-client/', 'replies/', 'util/'],
  'transports/': ['errors.ts', 'http/', 'options/', 'protocol/', 'store/', 'util/'],
  'runners/': ['errors.ts', 'options/', 'protocol/', 'transports/', 'util/'],
  'options.ts': ['errors.ts', 'options/', 'protocol/', 'replies/', 'runners/', 'store/', 'transports/'],
  'supervisor/': [
    'delivery/',
    'errors.ts',
    'events.ts',
    'fleet/',
    'http/',
    'metrics/',
    'options.ts',
    'options/',
    'protocol/',
    'runners/',
    'store/',
    'transports/transport.ts',
    'util/',
  ],
  // The connector's own wiring, split by job (host events, transport and runner choice): the connector's layer, so it
  // reaches no further down than connector.ts does, and only connector.ts imports it.
  'connector/': [
    'delivery/',
    'errors.ts',
    'events.ts',
    'options.ts',
    'options/',
    'runners/',
    'store/',
    'supervisor/',
    'transports/',
  ],
  'connector.ts': [
    'bodies/',
    'connector/',
    'errors.ts',
    'events.ts',
    'fleet/',
    'http/',
    'options.ts',
    'options/',
    'protocol/',
    'replies/',
    'runners/',
    'store/',
    'supervisor/',
    'transports/',
    'util/',
  ],
  'index.ts': [
    'bodies/',
    'connector.ts',
    'errors.ts',
    'events.ts',
    'fleet/',
    'http/',
    'messages/',
    'metrics/',
    'options.ts',
    'options/',
    'protocol/',
    'replies/',
    'runners/',
    'store/',
  ],
  // Of options/ the kit uses the shared toolkit only (shapes and checks), never the connector's own sections.
  'testing/': ['bodies/', 'errors.ts', 'options/checks.ts', 'options/schema.ts', 'protocol/', 'transports/', 'util/'],
  'redis/': ['fleet/', 'redis-client/', 'store/'],
  'cli/': [
    'connector.ts',
    'errors.ts',
    'events.ts',
    'http/',
    'options.ts',
    'options/',
    'protocol/',
    'testing/',
    'transports/',
    'util/',
  ],
};

it('layers: every import between layers is one the table allows, and every layer is in the table', () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(50);
  const unknown = [...new Set([...graph.keys()].map(layerOf))].filter((layer) => !(layer in ALLOWED));
  expect(unknown).toEqual([]);
  const forbidden = [...graph].flatMap(([file, targets]) => {
    const from = layerOf(file);
    const allowed = ALLOWED[from] ?? [];
    const ok = (target: string): boolean =>
      layerOf(target) === from || allowed.includes(layerOf(target)) || allowed.includes(target);
    return targets.filter((target) => !ok(target)).map((target) => `${file} → ${target}`);
  });
  expect(forbidden).toEqual([]);
});

it('layers: the supervisor and the runners name no transport (they run what the connector hands them), and no transport reaches up to them', () => {
  const graph = importGraph();
  // transports/transport.ts is the seam itself: the supervisor may know the interface and nothing beside it.
  expect(
    crossings(graph, under('supervisor'), (p) => under('transports')(p) && p !== 'transports/transport.ts'),
  ).toEqual([]);
  expect(crossings(graph, under('transports'), under('supervisor'))).toEqual([]);
  // The shared worker protocol carries a transport's own messages as opaque payloads: it imports no transport.
  expect(crossings(graph, under('protocol'), under('transports'))).toEqual([]);
  // A runner finds an attempt by the spec's transport name in the registry the transports fill: it names none.
  expect(crossings(graph, under('runners'), (p) => under('transports')(p) && p !== 'transports/attempts.ts')).toEqual(
    [],
  );
});

it('layers: the REST client points one way — bodies ← messages ← replies ← http (no folder cycle)', () => {
  const graph = importGraph();
  const inFolders =
    (...dirs: string[]) =>
    (path: string) =>
      dirs.some((dir) => under(dir)(path));
  // Body types sit below everything: they import no module of src/.
  expect(crossings(graph, under('bodies'), () => true)).toEqual([]);
  expect(crossings(graph, under('messages'), inFolders('http', 'replies'))).toEqual([]);
  // Replies talk to the endpoints through an interface of their own: they never import the HTTP client.
  expect(crossings(graph, under('replies'), inFolders('http', 'supervisor', 'transports', 'store'))).toEqual([]);
  expect(
    graph.has('bodies/message-bodies.ts') && graph.has('replies/reply.ts') && graph.has('http/rest-request.ts'),
  ).toBe(true);
});

it('layers: the fleet stands apart from the store — interfaces for the supervisor, implementations offered by the stores', () => {
  const graph = importGraph();
  const inFolders =
    (...dirs: string[]) =>
    (path: string) =>
      dirs.some((dir) => under(dir)(path));
  const FLEET_INTERFACES = ['fleet/fleet.ts', 'fleet/leases.ts', 'fleet/identify-gate.ts', 'fleet/shard-count.ts'];
  // The fleet reaches down only: protocol, errors, util, the options schema and the Redis client it shares with the
  // store (a store and its fleet ride one connection). Never the store: the arrow between the two points one way.
  const fleetMayImport = (p: string): boolean =>
    inFolders('fleet', 'options', 'protocol', 'redis-client', 'util')(p) || p === 'errors.ts';
  expect(crossings(graph, under('fleet'), (p) => !fleetMayImport(p))).toEqual([]);
  expect(crossings(graph, under('fleet'), under('store'))).toEqual([]);
  // The supervisor uses the fleet through its interfaces only; the connector picks the single-process gate.
  expect(crossings(graph, under('supervisor'), (p) => under('fleet')(p) && !FLEET_INTERFACES.includes(p))).toEqual([]);
  // A store imports the fleet only to offer its own (the durable stores, whose writes the leases fence).
  const offering = ['store/session-store.ts', 'store/redis-session-store.ts', 'store/file-session-store.ts'];
  expect(crossings(graph, (p) => under('store')(p) && !offering.includes(p), under('fleet'))).toEqual([]);
  expect(crossings(graph, under('store'), under('supervisor'))).toEqual([]);
  expect(
    FLEET_INTERFACES.every((p) => graph.has(p)) &&
      graph.has('fleet/memory-identify-gate.ts') &&
      graph.has('fleet/redis-leases.ts'),
  ).toBe(true);
});
