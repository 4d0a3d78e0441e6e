/**
 * The child processes melbench has running (isolate and interleave workers), and the local servers
 * it has listening (the browser runs' static server), so that an interrupt can end them at once:
 * a SIGINT or SIGTERM sent to melbench alone (as some job runners send it, rather than to the whole
 * process group) would otherwise leave a worker measuring on, re-parented to init, until its job
 * ends; a server is closed too, so that no browser fetch is answered after the interrupt.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** A server to close on interrupt: `close()` must stop it at once (an http.Server's `closeAllConnections()` is called too, when it has one). */
export interface Closable {
  close(): unknown;
  closeAllConnections?(): void;
}

const servers = new Set<Closable>();

/** Tracks `child` until it exits; returns it. */
export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Tracks `server` until the returned function is called (when it closes normally). */
export function trackServer(server: Closable): () => void {
  servers.add(server);
  return () => {
    servers.delete(server);
  };
}

/**
 * Kills every tracked child (SIGKILL: a worker in native code may not answer anything gentler) and
 * closes every tracked server (synchronously: process.exit follows); returns how many children.
 */
export function killChildren(): number {
  const n = live.size;
  for (const c of live) c.kill('SIGKILL');
  live.clear();
  for (const s of servers) {
    try {
      s.close();
      s.closeAllConnections?.();
    } catch {
      // NOTE: an interrupt goes on to exit whatever one server does.
    }
  }
  servers.clear();
  return n;
}
