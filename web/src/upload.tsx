import { useEffect, useRef, useState } from 'preact/hooks';
import { api, currentSession } from './api';
import { Problem, StatusBadge } from './components';
import { bytes, STAGES } from './format';
import { href } from './router';

interface Item {
  key: number;
  name: string;
  size: number;
  phase: 'uploading' | 'registered' | 'error';
  error?: string;
  documentId?: string;
  status?: string;
  stage?: string;
  stagesDone: string[];
  pages?: number;
}

let nextKey = 1;

// Files dropped here go to input/: into the workspace (embedded: the server
// writes and registers them), or straight to S3 through a presigned PUT
// (AWS: the bucket's event registers them). Then each is followed through
// the stages by polling its control record.
export function UploadPage() {
  const [items, setItems] = useState<Item[]>([]);
  const [over, setOver] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const session = currentSession();
  const update = (key: number, change: Partial<Item>) =>
    setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const send = async (file: File) => {
    const key = nextKey++;
    setItems((list) => [{ key, name: file.name, size: file.size, phase: 'uploading', stagesDone: [] }, ...list]);
    try {
      if (session && file.size > session.max_upload_bytes) throw new Error(`larger than the ${bytes(session.max_upload_bytes)} upload limit`);
      if (session?.upload_mode === 'presigned') {
        const target = await api.presign(file);
        const res = await fetch(target.url, { method: target.method, headers: target.headers, body: file });
        if (!res.ok) throw new Error(`S3 refused the upload (HTTP ${res.status})`);
        update(key, { phase: 'registered', documentId: target.document_id, status: 'PENDING' });
      } else {
        const reg = await api.upload(file);
        update(key, { phase: 'registered', documentId: reg.document_id, status: reg.registration === 'failed' ? 'FAILED' : 'PENDING',
                      error: reg.registration === 'duplicate' ? 'unchanged: same content as the latest version' : reg.message });
      }
    } catch (e) {
      update(key, { phase: 'error', error: e instanceof Error ? e.message : String(e) });
    }
  };
  const sendAll = (files: FileList | null) => {
    setProblem(null);
    if (!files || files.length === 0) return;
    for (const f of Array.from(files)) void send(f);
  };

  // Live progress: one list call for every file still moving.
  const moving = items.filter((i) => i.documentId && i.status !== 'COMPLETED' && i.status !== 'FAILED');
  const ids = moving.map((i) => i.documentId).join(',');
  useEffect(() => {
    if (!ids) return undefined;
    const id = window.setInterval(async () => {
      try {
        const page = await api.documents({ ids, limit: 200 });
        const byId = new Map(page.documents.map((d) => [d.document_id, d]));
        setItems((list) => list.map((i) => {
          const d = i.documentId ? byId.get(i.documentId) : undefined;
          if (!d) return i;
          const done = STAGES.filter((s) => d.stage_status[s]?.status === 'COMPLETED');
          return { ...i, status: d.status, stage: d.current_stage, stagesDone: done, pages: d.page_count,
                   error: d.status === 'FAILED' ? d.last_error : i.error };
        }));
      } catch (e) {
        setProblem(e instanceof Error ? e.message : String(e));
      }
    }, 1000);
    return () => window.clearInterval(id);
  }, [ids]);

  return (
    <div class="page" data-ready="upload">
      <h1>Upload</h1>
      <p>Files go to <code>input/</code>{session?.upload_mode === 'presigned' ? ' in the S3 bucket (a presigned PUT, straight from this browser)' : ' in the workspace'}, are registered, and run through the stages.</p>
      <div class={`dropzone${over ? ' over' : ''}`}
           onDragOver={(e) => { e.preventDefault(); setOver(true); }}
           onDragLeave={() => setOver(false)}
           onDrop={(e) => { e.preventDefault(); setOver(false); sendAll(e.dataTransfer?.files ?? null); }}>
        <p>Drop files here</p>
        <p>or</p>
        <label class="button" for="files">Choose files…</label>
        <input id="files" ref={input} class="visually-hidden" type="file" multiple
               onChange={(e) => { sendAll((e.target as HTMLInputElement).files); if (input.current) input.current.value = ''; }} />
        {session && <p class="hint">Up to {bytes(session.max_upload_bytes)} per file.</p>}
      </div>
      <Problem error={problem} />
      {items.length > 0 && (
        <ul class="uploads" aria-live="polite" aria-label="Uploaded files">
          {items.map((i) => (
            <li key={i.key} class="upload" data-status={i.status ?? i.phase}>
              <div class="upload-head">
                <strong>{i.name}</strong> <span class="hint">{bytes(i.size)}</span>
                {i.status ? <StatusBadge status={i.status} /> : <span class="badge">{i.phase}</span>}
                {i.documentId && <a href={href(['documents', i.documentId])}>timeline</a>}
              </div>
              <ol class="stages" aria-label={`Stages of ${i.name}`}>
                {STAGES.map((s) => {
                  const state = i.stagesDone.includes(s) ? 'done' : i.status === 'FAILED' && i.stage === s ? 'failed' : i.stage === s && i.status === 'IN_PROGRESS' ? 'running' : 'waiting';
                  return <li key={s} class={`stage ${state}`}><span class="visually-hidden">{`${s}: ${state}`}</span><span aria-hidden="true">{s}</span></li>;
                })}
              </ol>
              {i.error && <p class={i.phase === 'error' || i.status === 'FAILED' ? 'error-text' : 'hint'}>{i.error}</p>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
