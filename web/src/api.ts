// The dashboard's calls to `docpipe serve`. Same origin, the session cookie
// (HttpOnly: this code never sees it), and the CSRF token on every state
// change. A 401 means the session ended: back to the login page.

export interface SessionInfo {
  csrf_token: string;
  expires_at: string;
  backend: string;
  upload_mode: 'direct' | 'presigned';
  max_upload_bytes: number;
  auth: boolean;
  version: string;
}

export interface StageStatus {
  status: string;
  started_at?: string;
  completed_at?: string;
  duration_ms?: number;
  attempts?: number;
  output_key?: string;
  error?: string;
  metrics?: Record<string, unknown>;
}

export interface ControlRecord {
  document_id: string;
  processing_version: string;
  source_key: string;
  source_size: number;
  status: string;
  current_stage: string;
  stage_status: Record<string, StageStatus>;
  retry_count: number;
  max_retries: number;
  created_at?: string;
  updated_at?: string;
  last_error?: string;
  error_stage?: string;
  lease_owner?: string;
  page_count: number;
  chunk_count: number;
}

export interface DocumentPage {
  documents: ControlRecord[];
  total: number;
  next_cursor: string | null;
}

export interface AuditEvent {
  event_id: string;
  processing_version: string;
  event_type: string;
  stage: string;
  time: string;
  worker_id: string;
  duration_ms: number;
  error?: string;
  details: Record<string, unknown>;
}

export interface Snippet {
  text: string;
  hit: boolean;
}

export interface SearchHit {
  rank: number;
  score: number;
  document_id: string;
  processing_version: string;
  source_key: string;
  chunk_id: string;
  page_start: number;
  page_end: number;
  page_label_start: string;  // printed page numbers ("xii"); "" unknown
  page_label_end: string;
  citation: string;  // "p. xii (15)": printed label, physical page in brackets
  breadcrumbs: string[];
  type: string;
  text: string;
  snippet?: Snippet[];
  dense_degraded?: string;  // the index answered from BM25 alone (its vector graph is being rebuilt)
}

export interface StageFigures {
  count: number;
  p50_ms: number;
  p95_ms: number;
}

export interface Worker {
  worker_id: string;
  last_heartbeat: string;
  age_ms: number;
  busy: number;
  threads: number;
  processed: number;
  alive: boolean;
}

export interface Overview {
  now: string;
  documents: Record<string, number>;
  total_documents: number;
  backlog: {
    visible: number;
    in_flight: number;
    delayed: number;
    dead_letters: number;
    oldest_age_ms: number | null;
    oldest_source: string;
  };
  stages: Record<string, StageFigures>;
  stage_order: string[];
  errors: {
    failed_by_stage: Record<string, number>;
    stage_failures_last_day: Record<string, number>;
  };
  cost: {
    tokens: number;
    cost_usd: number;
    comprehend_calls: number;
    pages: number;
    chunks: number;
  };
  today: Record<string, number>;
  workers: Worker[];
}

export interface ThroughputBucket {
  start: string;
  documents: number;
  pages: number;
  documents_per_minute: number;
  pages_per_minute: number;
}

export interface Throughput {
  window: string;
  bucket_minutes: number;
  since: string;
  until: string;
  buckets: ThroughputBucket[];
  documents: number;
  pages: number;
}

export interface Chunk {
  chunk_id: string;
  page_start: number;
  page_end: number;
  page_label_start: string;
  page_label_end: string;
  citation: string;
  breadcrumbs: string[];
  type: string;
  text: string;
  language: string;
  entities: { type: string; text: string }[];
  key_phrases: string[];
  pii: string[];
}

export interface ChunksPage {
  chunks: Chunk[];
  total: number | null;  // the document's chunks in the index; null when the index cannot tell (Pinecone)
  next_cursor: string | null;
  processing_version: string;
  enriched: boolean;
  language: string;
}

export interface AuditPage {
  events: AuditEvent[];
  next_cursor: string | null;
}

export interface PageText {
  page: number;
  page_count: number;
  markdown: string;
}

export interface UploadTarget {
  method: string;
  url: string;
  headers: Record<string, string>;
  source_key: string;
  document_id: string;
}

export interface Registration {
  document_id: string;
  processing_version: string;
  source_key: string;
  registration: string;
  message?: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let session: SessionInfo | null = null;
// The session call in flight: pages load their data beside it (not after it),
// and a state change waits for it, for the CSRF token.
let sessionLoading: Promise<SessionInfo> | null = null;

export function currentSession(): SessionInfo | null {
  return session;
}

function toLogin(): never {
  window.location.assign('/login');
  throw new ApiError(401, 'signed out');
}

// Answers asked for ahead of the component that shows them (the document
// page asks for its first page of text and chunks beside its record), each
// taken once, within a few seconds.
const prefetched = new Map<string, { at: number; answer: Promise<unknown> }>();
const PREFETCH_TTL_MS = 5_000;

export function prefetch(path: string): void {
  const answer = call<unknown>('GET', path);
  answer.catch(() => undefined);  // reported by whoever takes it
  prefetched.set(path, { at: Date.now(), answer });
}

async function call<T>(method: string, path: string, body?: BodyInit, contentType?: string): Promise<T> {
  const early = method === 'GET' ? prefetched.get(path) : undefined;
  if (early) {
    prefetched.delete(path);
    if (Date.now() - early.at < PREFETCH_TTL_MS) return early.answer as Promise<T>;
  }
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    const current = session ?? (sessionLoading ? await sessionLoading.catch(() => null) : null);
    if (current) headers['X-CSRF-Token'] = current.csrf_token;
  }
  if (contentType) headers['Content-Type'] = contentType;
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (res.status === 401) toLogin();
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(res.status, `${path}: not JSON (HTTP ${res.status})`);
  }
  if (!res.ok) {
    const message = (data as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  return data as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const pagesPath = (id: string, page: number) =>
  `/api/documents/${encodeURIComponent(id)}/pages${query({ page })}`;
export const chunksPath = (id: string, cursor: string, limit: number) =>
  `/api/documents/${encodeURIComponent(id)}/chunks${query({ limit, cursor })}`;
export const auditPath = (id: string, cursor: string, limit: number) =>
  `/api/documents/${encodeURIComponent(id)}/audit${query({ limit, cursor })}`;

export const api = {
  async session(): Promise<SessionInfo> {
    sessionLoading = call<SessionInfo>('GET', '/api/session');
    session = await sessionLoading;
    return session;
  },
  logout: () => call<unknown>('DELETE', '/api/session'),
  overview: () => call<Overview>('GET', '/api/overview'),
  throughput: (window: string) => call<Throughput>('GET', `/api/throughput${query({ window })}`),
  documents: (params: Record<string, string | number | undefined>) =>
    call<DocumentPage>('GET', `/api/documents${query(params)}`),
  document: (id: string) => call<ControlRecord>('GET', `/api/documents/${encodeURIComponent(id)}`),
  audit: (id: string, cursor: string, limit: number) => call<AuditPage>('GET', auditPath(id, cursor, limit)),
  pages: (id: string, page: number) => call<PageText>('GET', pagesPath(id, page)),
  chunks: (id: string, cursor: string, limit: number) => call<ChunksPage>('GET', chunksPath(id, cursor, limit)),
  retry: (id: string) => call<unknown>('POST', `/api/documents/${encodeURIComponent(id)}/retry`),
  search: (params: Record<string, string | number | undefined>) =>
    call<SearchHit[]>('GET', `/api/search${query({ ...params, snippets: 'true' })}`),
  upload: (file: File) =>
    call<Registration>('POST', `/api/uploads${query({ name: file.name })}`, file, 'application/octet-stream'),
  presign: (file: File) =>
    call<UploadTarget>('POST', '/api/uploads/presign',
                       JSON.stringify({ name: file.name, size: file.size, content_type: file.type || '' }),
                       'application/json'),
};
