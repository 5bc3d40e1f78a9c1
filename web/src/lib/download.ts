// Downloads of files the API serves behind the bearer token (a run's records as CSV): a plain link would go
// without the token, so the file is fetched through the session (which adds and renews it) and handed to the
// browser as a blob. A refused download says why, like every other call.

import { problemFromBody, toApiError } from "../api/errors";

interface BlobResult {
  data?: Blob;
  error?: unknown;
  response: Response;
}

/** The file name a Content-Disposition header suggests (RFC 6266: `filename*` wins over `filename`), or null. */
export function filenameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try {
      const name = decodeURIComponent(star[2]!.trim().replace(/^"|"$/g, ""));
      if (name) return safeName(name);
    } catch {
      /* a bad encoding: try the plain name */
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
  const name = plain ? (plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : plain[2]!.trim()) : "";
  return name ? safeName(name) : null;
}

/** No folders in a suggested name. */
function safeName(name: string): string {
  return name.replace(/^.*[/\\]/, "") || "download";
}

export type SaveBlob = (blob: Blob, filename: string) => void;

/** Hand a blob to the browser as a download (an object URL on a temporary link, released afterwards). */
export function saveBlob(blob: Blob, filename: string, doc: Document = document, urls: Pick<typeof URL, "createObjectURL" | "revokeObjectURL"> = URL): void {
  const href = urls.createObjectURL(blob);
  const a = doc.createElement("a");
  a.href = href;
  a.download = filename;
  a.rel = "noopener";
  a.style.display = "none";
  doc.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    // Some browsers read the URL after click() returns.
    setTimeout(() => urls.revokeObjectURL(href), 30_000);
  }
}

/**
 * Await an openapi-fetch call made with `parseAs: "blob"` and save its file; answer the file name. Throws an
 * ApiError that says what went wrong (problem+json of a refusal, network failure).
 */
export async function downloadFrom(request: Promise<BlobResult>, fallbackName: string, save: SaveBlob = saveBlob): Promise<string> {
  let r: BlobResult;
  try {
    r = await request;
  } catch (e) {
    throw toApiError(e);
  }
  if (!r.response.ok) throw problemFromBody(r.response.status, r.error, r.response.statusText);
  if (!(r.data instanceof Blob)) throw problemFromBody(r.response.status, "The server answered without a file.");
  const name = filenameFromDisposition(r.response.headers.get("content-disposition")) ?? fallbackName;
  save(r.data, name);
  return name;
}
