// A decoder-side stage's per-request decoder sessions, kept in its Durable Object instance between steps
// (the KV caches live here; the API Worker holds only a session id). Requests that vanish without closing
// their session (the API isolate was evicted mid-generation) are dropped after IDLE_MS, and at most
// MAX_SESSIONS are kept: the oldest idle one goes first (its request then fails, naming the stage). The
// splitter planned a decoder stage's memory for ONE session's caches (maxRows × maxDecoderLength); each more
// session in the isolate adds its caches (synthetic base: ≈ 6 MB per layer held, at 3 beams × 128 tokens),
// so the cap is small: more concurrent requests need more Durable Object instances (STAGE_OBJECT_POOL).
import type { DecoderStageSession } from "../runtime/engine/staged/runner";

const IDLE_MS = 5 * 60_000;
const MAX_SESSIONS = 4;

interface Entry {
  session: DecoderStageSession;
  usedAt: number;
}

export class DecoderSessions {
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  add(id: string, session: DecoderStageSession): void {
    this.sweep();
    this.entries.get(id)?.session.dispose();
    this.entries.set(id, { session, usedAt: Date.now() });
  }

  get(id: string): DecoderStageSession {
    const e = this.entries.get(id);
    if (!e)
      throw new Error(
        `no decoder session ${id} (closed, expired after ${IDLE_MS / 1000} s idle, or opened elsewhere)`,
      );
    e.usedAt = Date.now();
    return e.session;
  }

  close(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    e.session.dispose();
    this.entries.delete(id);
    return true;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, e] of this.entries) if (now - e.usedAt > IDLE_MS) this.close(id);
    while (this.entries.size >= MAX_SESSIONS) {
      const oldest = [...this.entries].sort((a, b) => a[1].usedAt - b[1].usedAt)[0];
      if (!oldest) break;
      this.close(oldest[0]);
    }
  }
}
