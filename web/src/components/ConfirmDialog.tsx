import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import "./ConfirmDialog.css";

export interface ConfirmOptions {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
}

interface Pending extends ConfirmOptions {
  resolve: (ok: boolean) => void;
}

/**
 * A modal confirmation built on <dialog> (focus is trapped and Escape cancels). Returns the element to render
 * and `confirm()`, which resolves to whether the person confirmed.
 */
export function useConfirm(): [ReactNode, (o: ConfirmOptions) => Promise<boolean>] {
  const [pending, setPending] = useState<Pending | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (pending && !d.open) {
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
      cancelRef.current?.focus();
    }
  }, [pending]);

  const close = useCallback(
    (ok: boolean) => {
      const d = ref.current;
      if (d?.open) {
        if (typeof d.close === "function") d.close();
        else d.removeAttribute("open");
      }
      pending?.resolve(ok);
      setPending(null);
    },
    [pending],
  );

  const confirm = useCallback((o: ConfirmOptions) => new Promise<boolean>((resolve) => setPending({ ...o, resolve })), []);

  const element = (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        close(false);
      }}
    >
      {pending && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            close(true);
          }}
        >
          <h2 id="confirm-title">{pending.title}</h2>
          {pending.body && <div className="dialog-body">{pending.body}</div>}
          <div className="dialog-actions">
            <button type="button" className="btn btn-secondary" ref={cancelRef} onClick={() => close(false)}>
              Cancel
            </button>
            <button type="submit" className={`btn ${pending.danger ? "btn-danger" : "btn-primary"}`}>
              {pending.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
  return [element, confirm];
}
