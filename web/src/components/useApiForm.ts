import { useRef, useState, type FormEvent } from "react";
import { mapFieldErrors, toApiError, type ApiError, type FieldError } from "../api/errors";
import { focusFirstInvalid } from "./fields";

/**
 * A form that checks its values before sending them and puts the API's field errors next to its inputs: the
 * client's checks first (nothing is sent while any fails), then `onSubmit`; a refusal's `errors[]` go to the
 * fields in `known` (the rest to the banner), and focus moves to the first invalid input either way.
 */
export function useApiForm<V>({
  values,
  validate,
  known,
  onSubmit,
  placeErrors,
}: {
  values: V;
  validate: (v: V) => Record<string, string>;
  known: Iterable<string>;
  onSubmit: (v: V) => Promise<void>;
  /** Adjust where the API's field errors go (e.g. an error on a group shown at one of its inputs). */
  placeErrors?: (fields: Record<string, string>, error: ApiError) => void;
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [other, setOther] = useState<FieldError[]>([]);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const errs = validate(values);
    setErrors(errs);
    setError(null);
    setOther([]);
    if (Object.keys(errs).length) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(values);
    } catch (err) {
      const apiErr = toApiError(err);
      const mapped = mapFieldErrors(apiErr.errors, known);
      placeErrors?.(mapped.fields, apiErr);
      setErrors(mapped.fields);
      setOther(mapped.other);
      setError(apiErr);
      focusFirstInvalid(formRef.current);
    } finally {
      setBusy(false);
    }
  };

  return { errors, error, other, busy, formRef, submit };
}
