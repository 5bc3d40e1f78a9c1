import type { ScheduleMenuItem } from "../../lib/permissions";
import { RowMenu } from "../../components/RowMenu";

/** A schedule's row menu with the items the signed-in role may use (see `scheduleMenuItems`). */
export function ScheduleMenu({
  items,
  label,
  busy,
  onRun,
  onEdit,
  onCancel,
  onDelete,
}: {
  items: readonly ScheduleMenuItem[];
  label: string;
  busy: boolean;
  onRun: () => void;
  onEdit: () => void;
  onCancel: () => void;
  onDelete: () => void;
}) {
  if (!items.length) return null;
  return (
    <RowMenu label={label} testId="schedule-menu">
      {items.map((item) => {
        switch (item) {
          case "run_now":
            return (
              <button key={item} type="button" className="row-menu-item" onClick={onRun} disabled={busy}>
                Run now
              </button>
            );
          case "edit_schedule":
            return (
              <button key={item} type="button" className="row-menu-item" onClick={onEdit}>
                Edit schedule
              </button>
            );
          case "cancel_schedule":
            return (
              <button key={item} type="button" className="row-menu-item danger" onClick={onCancel} disabled={busy}>
                Cancel schedule
              </button>
            );
          case "delete_schedule":
            return (
              <button key={item} type="button" className="row-menu-item danger" onClick={onDelete} disabled={busy}>
                Delete schedule
              </button>
            );
        }
      })}
    </RowMenu>
  );
}
