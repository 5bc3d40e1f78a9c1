import { useEffect, useId, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type ReactNode } from "react";
import "./RowMenu.css";

/**
 * A row's actions behind one button (a disclosure: the items are ordinary buttons, reachable with Tab or the
 * arrow keys). Escape, a click elsewhere or leaving it with Tab closes it; choosing an item closes it and
 * returns focus to the button. The list is placed beside the button in the viewport (above it near the bottom), so
 * a scrolling table does not clip it; it follows the button when the page scrolls.
 */
export function RowMenu({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  const [open, setOpen] = useState(false);
  const wrapRef = useRef<HTMLDivElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const listId = useId();
  const [place, setPlace] = useState<CSSProperties>({});

  /** Beside the button, in the viewport: below it, or above it near the bottom. False when the button is out of view. */
  const reposition = (): boolean => {
    if (!toggleRef.current || !listRef.current) return false;
    const r = toggleRef.current.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight) return false;
    const height = listRef.current.offsetHeight;
    const right = Math.max(8, window.innerWidth - r.right);
    setPlace(window.innerHeight - r.bottom < height + 12 && r.top > height + 12 ? { bottom: window.innerHeight - r.top + 4, right } : { top: r.bottom + 4, right });
    return true;
  };

  useLayoutEffect(() => {
    if (open) reposition();
  }, [open]);

  const items = () => Array.from(listRef.current?.querySelectorAll<HTMLButtonElement>("button:not(:disabled), a[href]") ?? []);

  useEffect(() => {
    if (!open) return;
    items()[0]?.focus({ preventScroll: true });
    const onPointer = (e: PointerEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) setOpen(false);
    };
    // The page or a table scrolled: follow the button, or close when it has gone out of view.
    const onScroll = () => {
      if (!reposition()) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    window.addEventListener("scroll", onScroll, true);
    window.addEventListener("resize", onScroll);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      window.removeEventListener("scroll", onScroll, true);
      window.removeEventListener("resize", onScroll);
    };
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) toggleRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape" && open) {
      e.preventDefault();
      e.stopPropagation();
      close(true);
      return;
    }
    if (!open || !["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key)) return;
    const list = items();
    if (!list.length) return;
    e.preventDefault();
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    const next = e.key === "Home" ? 0 : e.key === "End" ? list.length - 1 : e.key === "ArrowDown" ? (at + 1) % list.length : (at - 1 + list.length) % list.length;
    list[next]?.focus({ preventScroll: true });
  };

  return (
    <div
      className="row-menu"
      ref={wrapRef}
      onKeyDown={onKeyDown}
      onBlur={(e) => {
        if (open && e.relatedTarget && !wrapRef.current?.contains(e.relatedTarget as Node)) setOpen(false);
      }}
    >
      <button
        ref={toggleRef}
        type="button"
        className="btn btn-sm btn-secondary row-menu-toggle"
        aria-expanded={open}
        aria-controls={listId}
        aria-label={label}
        title={label}
        data-testid={testId}
        onClick={() => setOpen((o) => !o)}
      >
        Actions <span aria-hidden="true">▾</span>
      </button>
      <div
        id={listId}
        ref={listRef}
        className="row-menu-list"
        hidden={!open}
        style={place}
        onClick={(e) => {
          if ((e.target as HTMLElement).closest("button, a")) close(true);
        }}
      >
        {open && children}
      </div>
    </div>
  );
}
