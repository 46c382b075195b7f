// Sends one embeddings request with the official OpenAI client (openai-node,
// pinned in package.json) so that a test server can record what it sends,
// and prints what the client decoded from the answer.
//
// Usage: node openai_capture.mjs BASE_URL SPEC.json
//   SPEC: {"apiKey", "model", "input": [...], "dimensions"?, "organization"?, "project"?}
// Prints: {"sdk_version", "model", "usage", "data": [{"index", "embedding": [floats]}]}
import OpenAI from 'openai';
import { VERSION } from 'openai/version';
import { readFileSync } from 'node:fs';

const [baseURL, specPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));

const client = new OpenAI({
  apiKey: spec.apiKey,
  baseURL,
  // null, not undefined: the client would otherwise read OPENAI_ORG_ID / OPENAI_PROJECT_ID.
  organization: spec.organization ?? null,
  project: spec.project ?? null,
  maxRetries: 0,
});

const params = { model: spec.model, input: spec.input };
if (spec.dimensions) params.dimensions = spec.dimensions;
const res = await client.embeddings.create(params);

process.stdout.write(JSON.stringify({
  sdk_version: VERSION,
  model: res.model,
  usage: res.usage,
  // The client decodes base64 into Float32Array; Array.from gives exact doubles.
  data: res.data.map((d) => ({ index: d.index, embedding: Array.from(d.embedding) })),
}));
