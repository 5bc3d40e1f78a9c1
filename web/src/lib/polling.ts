// Polling for things that change on their own (running runs): one request at a time (the next waits for the
// previous to end, so a slow server is not flooded), nothing while the tab is hidden, and a tick as soon as it is
// shown again. What a tick does with its answer or its error is up to the tick: the poller only keeps time.

import { useEffect, useRef } from "react";

export interface PollerOptions {
  tick: () => unknown;
  intervalMs: number;
  /** Whether the page is hidden now (default: `document.hidden`). */
  isHidden?: () => boolean;
  /** Call `cb` when the page is shown or hidden; answer the unsubscribe (default: `visibilitychange`). */
  onVisibilityChange?: (cb: () => void) => () => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

function documentHidden(): boolean {
  return typeof document !== "undefined" && document.visibilityState === "hidden";
}

function documentVisibility(cb: () => void): () => void {
  if (typeof document === "undefined") return () => {};
  document.addEventListener("visibilitychange", cb);
  return () => document.removeEventListener("visibilitychange", cb);
}

/** Call `tick` every `intervalMs` after the previous tick ended, while the page is visible. Answers stop(). */
export function startPolling(o: PollerOptions): () => void {
  const isHidden = o.isHidden ?? documentHidden;
  const setTimer = o.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let stopped = false;
  let running = false;
  let waitingForVisible = false;
  let timer: unknown = null;

  const schedule = () => {
    if (stopped) return;
    timer = setTimer(fire, o.intervalMs);
  };
  const fire = () => {
    timer = null;
    if (stopped || running) return;
    if (isHidden()) {
      waitingForVisible = true;
      return;
    }
    running = true;
    let result: unknown;
    try {
      result = o.tick();
    } catch {
      result = undefined;
    }
    Promise.resolve(result)
      .catch(() => undefined)
      .finally(() => {
        running = false;
        schedule();
      });
  };
  const unsubscribe = (o.onVisibilityChange ?? documentVisibility)(() => {
    if (stopped || !waitingForVisible || isHidden()) return;
    waitingForVisible = false;
    fire();
  });
  schedule();
  return () => {
    stopped = true;
    if (timer !== null) clearTimer(timer);
    unsubscribe();
  };
}

/** Poll `tick` while `enabled`; the latest `tick` is always the one called. */
export function usePolling(tick: () => unknown, intervalMs: number, enabled: boolean): void {
  const ref = useRef(tick);
  ref.current = tick;
  useEffect(() => {
    if (!enabled) return;
    return startPolling({ tick: () => ref.current(), intervalMs });
  }, [enabled, intervalMs]);
}
