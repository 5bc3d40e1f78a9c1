import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startPolling } from "./polling";

describe("startPolling", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function visibility() {
    let hidden = false;
    let listener: (() => void) | null = null;
    return {
      isHidden: () => hidden,
      onVisibilityChange: (cb: () => void) => {
        listener = cb;
        return () => (listener = null);
      },
      set(h: boolean) {
        hidden = h;
        listener?.();
      },
      get subscribed() {
        return listener !== null;
      },
    };
  }

  it("ticks every interval, after the previous tick ended", async () => {
    const v = visibility();
    let resolve: () => void = () => {};
    const tick = vi.fn(() => new Promise<void>((r) => (resolve = r)));
    const stop = startPolling({ tick, intervalMs: 1000, ...v });
    expect(tick).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(1);
    // a slow answer: no second request while the first is out
    await vi.advanceTimersByTimeAsync(5000);
    expect(tick).toHaveBeenCalledTimes(1);
    resolve();
    await vi.advanceTimersByTimeAsync(999);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(2);
    stop();
  });

  it("keeps going after a failed tick", async () => {
    const v = visibility();
    const tick = vi.fn().mockRejectedValueOnce(new Error("down")).mockImplementationOnce(() => {
      throw new Error("sync throw");
    });
    const stop = startPolling({ tick, intervalMs: 100, ...v });
    await vi.advanceTimersByTimeAsync(300);
    expect(tick).toHaveBeenCalledTimes(3);
    stop();
  });

  it("waits while the page is hidden and ticks at once when it is shown", async () => {
    const v = visibility();
    const tick = vi.fn(async () => {});
    const stop = startPolling({ tick, intervalMs: 1000, ...v });
    v.set(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tick).not.toHaveBeenCalled();
    v.set(false);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(tick).toHaveBeenCalledTimes(2);
    stop();
  });

  it("stops: no more ticks, no listener left", async () => {
    const v = visibility();
    const tick = vi.fn(async () => {});
    const stop = startPolling({ tick, intervalMs: 1000, ...v });
    await vi.advanceTimersByTimeAsync(1000);
    stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(tick).toHaveBeenCalledTimes(1);
    expect(v.subscribed).toBe(false);
  });
});
