// Runs `docpipe lambda` as the bootstrap of a custom-runtime ("provided")
// function under @vercel/fun, a local Lambda emulator that serves the real
// Runtime API protocol, and invokes it once per event file, in order, on one
// warm process (fun freezes it with SIGSTOP between invocations).
//
// Usage: node lambda_fun_invoke.mjs DOCPIPE_BINARY|FUNCTION.zip WORKSPACE BUCKET EVENT.json...
// With a .zip (deploy/package-lambda.sh), fun unzips it and runs its own
// bootstrap, as Lambda does; otherwise a bootstrap that execs the binary.
// Prints one JSON array on stdout: per invocation {StatusCode, FunctionError,
// Payload} with Payload parsed from JSON. Exits 0 when every invocation got
// an answer (function errors included), 1 on a harness failure.
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// @vercel/fun is CommonJS, resolved from the repository's node_modules.
const require = createRequire(import.meta.url);
const { createFunction } = require('@vercel/fun');

const [binary, workspace, bucket, ...eventFiles] = process.argv.slice(2);
if (!binary || !workspace || !bucket || eventFiles.length === 0) {
  console.error('usage: node lambda_fun_invoke.mjs DOCPIPE_BINARY|FUNCTION.zip WORKSPACE BUCKET EVENT.json...');
  process.exit(2);
}

// The function's code: just a bootstrap, as a provided.al2023 zip would hold.
// fun runs it with the Runtime API address in AWS_LAMBDA_RUNTIME_API, its
// own Lambda variables (PATH, LANG, LAMBDA_TASK_ROOT, ...) and the ones below;
// nothing else of this environment (no HOME).
const codeDir = mkdtempSync(join(tmpdir(), 'docpipe-lambda-code-'));
const shellQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const zipped = binary.endsWith('.zip');
if (!zipped) {
  writeFileSync(join(codeDir, 'bootstrap'), `#!/bin/sh\nexec ${shellQuote(binary)} lambda\n`, { mode: 0o755 });
}

let fn;
try {
  fn = await createFunction({
    Code: zipped ? { ZipFile: binary } : { Directory: codeDir },
    Handler: 'bootstrap',  // unused by custom runtimes; fun passes it as _HANDLER
    Runtime: 'provided',   // fun knows no provided.al2023; the protocol is the same
    MemorySize: 512,
    Environment: {
      Variables: {
        DOCPIPE_WORKSPACE: workspace,
        S3_BUCKET: bucket,
        DOCPIPE_LOG_LEVEL: 'info',
        // Extra function variables as a JSON object (tests of the packaged zip).
        ...JSON.parse(process.env.DOCPIPE_FUN_EXTRA_ENV || '{}'),
      },
    },
  });
  const results = [];
  for (const file of eventFiles) {
    const res = await fn.invoke({
      InvocationType: 'RequestResponse',
      Payload: readFileSync(file, 'utf8'),
    });
    let payload = String(res.Payload);
    try {
      payload = JSON.parse(payload);
    } catch {
      // leave it as text: the test shows it
    }
    results.push({ StatusCode: res.StatusCode, FunctionError: res.FunctionError ?? null, Payload: payload });
  }
  console.log(JSON.stringify(results));
} catch (err) {
  console.error('lambda_fun_invoke:', err && err.stack ? err.stack : err);
  process.exitCode = 1;
} finally {
  // Stops the process (SIGCONT, then SIGTERM: docpipe ends its long poll).
  if (fn) await fn.destroy();
  rmSync(codeDir, { recursive: true, force: true });
}
