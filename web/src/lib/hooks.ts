import { useCallback, useEffect, useRef, useState } from "react";
import { toApiError, type ApiError } from "../api/errors";
import type { Page } from "../api/client";

export interface AsyncState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
  setData: (update: T | ((prev: T | undefined) => T)) => void;
}

/** Load something when the component mounts or `deps` change; a later load wins over an earlier one. */
export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const gen = useRef(0);
  useEffect(() => {
    const mine = ++gen.current;
    setLoading(true);
    setError(null);
    load().then(
      (d) => {
        if (gen.current !== mine) return;
        setDataState(d);
        setLoading(false);
      },
      (e: unknown) => {
        if (gen.current !== mine) return;
        setError(toApiError(e));
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: T | ((prev: T | undefined) => T)) => {
    setDataState((prev) => (typeof update === "function" ? (update as (p: T | undefined) => T)(prev) : update));
  }, []);
  return { data, error, loading, reload, setData };
}

export interface PagedState<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: ApiError | null;
  loadMore: () => void;
  reload: () => void;
  /**
   * Fetch the first page again without a spinner (polling): with one page shown it replaces the list; with more,
   * it updates the items it answers and puts new ones first. A failure is kept in `error`, the list stays.
   */
  refresh: () => Promise<void>;
  /** Replace one item in place (after an action answered the updated object). */
  replace: (match: (item: T) => boolean, next: T) => void;
  remove: (match: (item: T) => boolean) => void;
}

/** A cursor-paged list: the first page on mount, more pages appended with loadMore(). */
export function usePaged<T extends { id: string }>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: readonly unknown[] = []): PagedState<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  const gen = useRef(0);
  const pages = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  useEffect(() => {
    const mine = ++gen.current;
    pages.current = 0;
    setLoading(true);
    setError(null);
    fetchRef.current(undefined).then(
      (p) => {
        if (gen.current !== mine) return;
        pages.current = 1;
        setItems(p.items);
        setNextCursor(p.next_cursor ?? null);
        setLoading(false);
      },
      (e: unknown) => {
        if (gen.current !== mine) return;
        setError(toApiError(e));
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    const mine = gen.current;
    setLoadingMore(true);
    setError(null);
    fetchRef.current(nextCursor).then(
      (p) => {
        if (gen.current !== mine) return;
        pages.current += 1;
        setItems((prev) => [...prev, ...p.items]);
        setNextCursor(p.next_cursor ?? null);
        setLoadingMore(false);
      },
      (e: unknown) => {
        if (gen.current !== mine) return;
        setError(toApiError(e));
        setLoadingMore(false);
      },
    );
  }, [nextCursor, loadingMore]);

  const refresh = useCallback(async () => {
    const mine = gen.current;
    try {
      const p = await fetchRef.current(undefined);
      if (gen.current !== mine || pages.current === 0) return;
      if (pages.current === 1) {
        setItems(p.items);
        setNextCursor(p.next_cursor ?? null);
      } else {
        setItems((prev) => mergeFirstPage(prev, p.items));
      }
      setError(null);
    } catch (e) {
      if (gen.current === mine) setError(toApiError(e));
    }
  }, []);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const replace = useCallback((match: (item: T) => boolean, next: T) => setItems((prev) => prev.map((i) => (match(i) ? next : i))), []);
  const remove = useCallback((match: (item: T) => boolean) => setItems((prev) => prev.filter((i) => !match(i))), []);
  return { items, nextCursor, loading, loadingMore, error, loadMore, reload, refresh, replace, remove };
}

/**
 * A fresh first page merged into a longer list (newest first): items it answers are updated in place, items new
 * to the list go first, in the page's order.
 */
export function mergeFirstPage<T extends { id: string }>(existing: readonly T[], fresh: readonly T[]): T[] {
  const byId = new Map(fresh.map((i) => [i.id, i]));
  const known = new Set(existing.map((i) => i.id));
  const added = fresh.filter((i) => !known.has(i.id));
  return [...added, ...existing.map((i) => byId.get(i.id) ?? i)];
}

/**
 * Run one of a page's actions: `busy` names it while it runs, an earlier refusal is cleared first, and a failure
 * becomes the refusal in words (`error`). `work` clears what else the page shows about earlier actions (a notice)
 * before its first await, so that happens in the same render.
 */
export async function runAction<K>(set: { busy: (key: K | null) => void; error: (e: ApiError | null) => void }, key: K, work: () => Promise<void>): Promise<void> {
  set.busy(key);
  set.error(null);
  try {
    await work();
  } catch (e) {
    set.error(toApiError(e));
  } finally {
    set.busy(null);
  }
}

export interface Actions<K> {
  /** The action running, if one is. */
  busy: K | null;
  /** Why the last action was refused; null when it was not. */
  error: ApiError | null;
  dismissError: () => void;
  run: (key: K, work: () => Promise<void>) => Promise<void>;
}

/** A page's actions, one at a time (see `runAction`). */
export function useActions<K>(): Actions<K> {
  const [busy, setBusy] = useState<K | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback((key: K, work: () => Promise<void>) => runAction({ busy: setBusy, error: setError }, key, work), []);
  const dismissError = useCallback(() => setError(null), []);
  return { busy, error, dismissError, run };
}

/** Set the document title for a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Integration Hub` : "Integration Hub";
  }, [title]);
}
