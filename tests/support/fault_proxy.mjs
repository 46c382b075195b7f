// A fault-injecting HTTP proxy for the tests (issue 17): it stands between
// docpipe and one peer (moto_server, or a fake of OpenAI, Comprehend or
// Pinecone) and, on a fixed share of requests chosen by a seeded generator,
// does one of:
//   latency        waits 20-200 ms, then forwards;
//   reset          closes the connection without an answer, before the peer
//                  sees the request;
//   reset-after    forwards, then closes the connection without passing the
//                  answer on (the peer acted; the client cannot know);
//   5xx            answers 500 or 503 itself;
//   truncate       forwards, then passes the answer on with its full
//                  Content-Length but only part of the body, and closes;
//   throttle       answers itself as the peer throttles: 400 with
//                  {"__type":"ThrottlingException"} for AWS's JSON protocol
//                  (X-Amz-Target), 503 SlowDown for S3's XML, 429 otherwise,
//                  each with Retry-After.
// Node's standard library only. Usage:
//   node fault_proxy.mjs --target http://127.0.0.1:PORT [--port 0] [--share 0.2]
//        [--seed 17] [--faults latency,reset,reset-after,5xx,truncate,throttle]
//        [--port-file FILE] [--max-requests N] [--max-seconds S]
// It prints "listening PORT" (and writes PORT to --port-file), counts what it
// did, prints the counts as one JSON line on SIGTERM/SIGINT or at its limits
// (--max-requests, --max-seconds: it stops by itself), and exits.
import http from 'node:http';
import fs from 'node:fs';

const args = {target: '', port: 0, share: 0.2, seed: 17, faults: 'latency,reset,reset-after,5xx,truncate,throttle',
              'port-file': '', 'max-requests': 200000, 'max-seconds': 3600};
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '');
  if (!(name in args) || i + 1 >= process.argv.length) {
    console.error(`fault_proxy: unknown or incomplete option ${process.argv[i]}`);
    process.exit(2);
  }
  args[name] = typeof args[name] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
const target = new URL(args.target);
if (!args.target || target.protocol !== 'http:') {
  console.error('fault_proxy: --target http://HOST:PORT is required');
  process.exit(2);
}
const faults = args.faults.split(',').filter(Boolean);
const known = ['latency', 'reset', 'reset-after', '5xx', 'truncate', 'throttle'];
for (const f of faults) {
  if (!known.includes(f)) {
    console.error(`fault_proxy: unknown fault ${f} (known: ${known.join(', ')})`);
    process.exit(2);
  }
}

// mulberry32: small, seeded, the same sequence on every run.
let state = args.seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const counts = {requests: 0, forwarded: 0, upstream_errors: 0};
for (const f of known) counts[f] = 0;
let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify(counts) + '\n', () => process.exit(0));
}

function forward(req, body, onAnswer) {
  const headers = {...req.headers};
  const upstream = http.request({host: target.hostname, port: target.port, method: req.method, path: req.url,
                                 headers}, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => onAnswer(null, res, Buffer.concat(chunks)));
    res.on('error', (e) => onAnswer(e));
  });
  upstream.on('error', (e) => onAnswer(e));
  upstream.end(body);
}

function throttle(req, res) {
  if (req.headers['x-amz-target']) {
    res.writeHead(400, {'content-type': 'application/x-amz-json-1.0', 'retry-after': '1'});
    res.end(JSON.stringify({__type: 'com.amazonaws.fault.proxy#ThrottlingException', message: 'Rate exceeded (fault proxy)'}));
  } else if (req.headers['authorization']?.startsWith('AWS4-HMAC-SHA256')) {
    res.writeHead(503, {'content-type': 'application/xml', 'retry-after': '1'});
    res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate (fault proxy).</Message></Error>');
  } else {
    res.writeHead(429, {'content-type': 'application/json', 'retry-after': '1'});
    res.end(JSON.stringify({error: {message: 'Rate limit reached (fault proxy)', type: 'requests', code: 'rate_limit_exceeded'}}));
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    counts.requests += 1;
    const body = Buffer.concat(chunks);
    const fault = faults.length > 0 && random() < args.share ? faults[Math.floor(random() * faults.length)] : '';
    if (fault) counts[fault] += 1;
    const pass = (e, up, upBody) => {
      if (e) {
        counts.upstream_errors += 1;
        res.writeHead(502, {'content-type': 'text/plain'});
        res.end(`fault proxy: ${target.host} failed: ${e.message}`);
        return;
      }
      counts.forwarded += 1;
      if (fault === 'reset-after') {
        req.socket.destroy();
        return;
      }
      const headers = {...up.headers};
      delete headers['transfer-encoding'];
      headers['content-length'] = String(upBody.length);
      if (fault === 'truncate' && upBody.length > 1) {
        res.writeHead(up.statusCode, headers);
        res.write(upBody.subarray(0, Math.floor(upBody.length / 2)), () => req.socket.destroy());
        return;
      }
      res.writeHead(up.statusCode, headers);
      res.end(upBody);
    };
    switch (fault) {
      case 'reset':
        req.socket.destroy();
        break;
      case '5xx':
        res.writeHead(random() < 0.5 ? 500 : 503, {'content-type': 'text/plain'});
        res.end('fault proxy: injected server error');
        break;
      case 'throttle':
        throttle(req, res);
        break;
      case 'latency':
        setTimeout(() => forward(req, body, pass), 20 + Math.floor(random() * 180));
        break;
      default:
        forward(req, body, pass);
    }
    if (counts.requests >= args['max-requests']) setImmediate(finish);
  });
});
server.keepAliveTimeout = 5000;
server.listen(args.port, '127.0.0.1', () => {
  const port = server.address().port;
  if (args['port-file']) fs.writeFileSync(args['port-file'], String(port));
  process.stdout.write(`listening ${port}\n`);
});
setTimeout(finish, args['max-seconds'] * 1000).unref();
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
