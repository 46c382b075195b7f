// Runs the official Pinecone client (@pinecone-database/pinecone, pinned in
// package.json) through the calls docpipe's Pinecone adapter makes, against a
// capture server, so that the adapter's requests can be compared with the
// client's (tests/unit/index/pinecone_vector_index_test.cpp).
//
//   node pinecone_capture.mjs --controller http://127.0.0.1:PORT --api-key K \
//        --index NAME --namespace NS --dimension D
//     drives the client against that server (the test's fake Pinecone, which
//     records the requests); prints {"ok":true,...} on success.
//   node pinecone_capture.mjs
//     starts its own capture server on a loopback port and prints each
//     request the client sent as one JSON line (method, url, headers, body).
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { Pinecone } = require('@pinecone-database/pinecone');

const { values: args } = parseArgs({
  options: {
    controller: { type: 'string' },
    'api-key': { type: 'string', default: 'pk-capture' },
    index: { type: 'string', default: 'docs' },
    namespace: { type: 'string', default: 'ns' },
    dimension: { type: 'string', default: '4' },
  },
});
const dimension = Number(args.dimension);

// A vector that is not all zero, different for each seed.
const vec = (seed) => Array.from({ length: dimension }, (_, i) => Math.sin(seed * 7 + i + 1));

// The metadata docpipe stores with a chunk (one of each value type Pinecone
// accepts: string, number, boolean, list of strings).
const metadata = (doc, i) => ({
  document_id: doc,
  processing_version: '000001',
  source_key: 'input/manuals/glpk.pdf',
  text: `Chunk ${i} of ${doc}: the simplex method.`,
  breadcrumbs: ['GLPK Reference Manual', 'Chapter 1'],
  page_start: i + 1,
  page_end: i + 2,
  type: 'text',
  key_phrases: ['simplex method'],
  language: 'en',
  pii_types: ['EMAIL'],
  text_truncated: true,
});

async function drive(controller) {
  const pc = new Pinecone({ apiKey: args['api-key'], controllerHostUrl: controller });
  const ops = [];
  try {
    await pc.describeIndex(args.index);
    ops.push('describeIndex: found');
  } catch (e) {
    if (e.name !== 'PineconeNotFoundError') throw e;
    ops.push('describeIndex: not found');
  }
  await pc.createIndex({
    name: args.index,
    dimension,
    metric: 'cosine',
    spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
  });
  const description = await pc.describeIndex(args.index);
  ops.push(`describeIndex: host ${description.host}`);
  const index = pc.index({ host: description.host, namespace: args.namespace });
  const doc = 'glpk-0123456789ab';
  const ids = [0, 1, 2].map((i) => `${doc}:000001:${i}`);
  await index.upsert({ records: ids.map((id, i) => ({ id, values: vec(i), metadata: metadata(doc, i) })) });
  ops.push('upsert');
  const all = await index.query({ vector: vec(1), topK: 3, includeMetadata: true });
  const filtered = await index.query({
    vector: vec(1), topK: 3, includeMetadata: true, filter: { document_id: { $eq: doc } },
  });
  ops.push(`query: ${all.matches.length} and ${filtered.matches.length} matches`);
  let page = await index.listPaginated({ prefix: `${doc}:` });
  const listed = page.vectors.map((v) => v.id);
  while (page.pagination?.next) {
    page = await index.listPaginated({ prefix: `${doc}:`, paginationToken: page.pagination.next });
    listed.push(...page.vectors.map((v) => v.id));
  }
  ops.push(`list: ${listed.length} ids`);
  await index.deleteMany({ ids: listed });
  ops.push('deleteMany');
  const stats = await index.describeIndexStats();
  ops.push(`describeIndexStats: ${stats.totalRecordCount} records`);
  return ops;
}

// Answers just enough for the client to go on; records everything.
function startCaptureServer() {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const host = `http://127.0.0.1:${server.address().port}`;
      const reply = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const description = {
        name: args.index, dimension, metric: 'cosine', host, vector_type: 'dense',
        deletion_protection: 'disabled', spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
        status: { ready: true, state: 'Ready' },
      };
      const path = req.url.split('?')[0];
      if (req.method === 'GET' && path.startsWith('/indexes/')) {
        const created = seen.some((r) => r.method === 'POST' && r.url === '/indexes');
        return created ? reply(200, description)
          : reply(404, { error: { code: 'NOT_FOUND', message: 'Resource not found' }, status: 404 });
      }
      if (path === '/indexes') return reply(201, description);
      if (path === '/vectors/upsert') return reply(200, { upsertedCount: JSON.parse(body).vectors.length });
      if (path === '/query') return reply(200, { matches: [], namespace: args.namespace, usage: { readUnits: 1 } });
      if (path === '/vectors/list') {
        const paged = req.url.includes('paginationToken=');
        return reply(200, {
          vectors: [{ id: 'x' }], namespace: args.namespace, usage: { readUnits: 1 },
          ...(paged ? {} : { pagination: { next: 'pg/1==' } }),
        });
      }
      if (path === '/describe_index_stats') {
        return reply(200, { namespaces: {}, dimension, indexFullness: 0, totalVectorCount: 0 });
      }
      return reply(200, {});
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, seen })));
}

if (args.controller) {
  const ops = await drive(args.controller);
  console.log(JSON.stringify({ ok: true, ops }));
} else {
  const { server, seen } = await startCaptureServer();
  try {
    await drive(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.close();
  }
  for (const r of seen) console.log(JSON.stringify(r));
}
