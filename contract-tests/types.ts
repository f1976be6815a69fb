// Shapes of the golden transcripts (fixtures/golden/README.md) and of the runner's results.

export type Multipart = Record<string, string | { file: string; content_type: string; filename: string }>;

export interface HttpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  multipart?: Multipart;
}

export interface HttpExpect {
  status: number;
  content_type?: string;
  headers?: Record<string, string>;
  body?: unknown;
  body_text?: string;
}

export interface WsExpect {
  client: string;
  wait_ms: number;
  frames: unknown[];
  frames_raw: string[];
  closed_by_server?: { code: number };
}

export interface Step {
  http?: HttpRequest;
  ws_connect?: { client: string; path: string };
  ws_send?: { client: string; text: string; settle_ms?: number; note?: string };
  ws_expect?: WsExpect;
  ws_close?: { client: string };
  expect?: HttpExpect & { accepted?: boolean; status?: number };
  /** Only in variants: the divergences.json id that explains why this step differs from the golden. */
  divergence?: string;
  note?: string;
}

export interface Transcript {
  name: string;
  description?: string;
  area?: string;
  max_seed_id?: number;
  steps: Step[];
}

export type StepKind = 'http' | 'ws_connect' | 'ws_send' | 'ws_expect' | 'ws_close';

export function stepKind(step: Step): StepKind {
  for (const k of ['http', 'ws_connect', 'ws_send', 'ws_expect', 'ws_close'] as const) if (step[k]) return k;
  throw new Error(`unknown step kind: ${JSON.stringify(step).slice(0, 200)}`);
}

export interface Target {
  baseUrl: string;
  wsUrl: string;
  reset(): Promise<void>;
}

export interface StepFailure {
  index: number; // 1-based
  kind: StepKind;
  /** What was sent (method + path, frame text, socket path). */
  request: string;
  problems: string[];
  expected?: string;
  actual?: string;
}

export interface TranscriptResult {
  name: string;
  variant: boolean;
  ok: boolean;
  steps: number;
  /** Steps executed (all of them when ok). */
  executed: number;
  ms: number;
  failure?: StepFailure;
  /** Tolerances used (e.g. current_status accepted as online instead of a local time). */
  notes: string[];
}
