/**
 * Cursor paging over the audit log. The server pages backwards in time with `before=<id>` and tells the
 * cursor of the next (older) page; going back to newer pages needs the cursors already used, so they are
 * kept as a stack: the last one is the current page's (`undefined` = the newest page).
 */
export type Cursors = readonly (string | undefined)[];

export const FIRST_PAGE: Cursors = [undefined];

export function older(cursors: Cursors, nextBefore: string | null | undefined): Cursors {
  return nextBefore ? [...cursors, nextBefore] : cursors;
}

export function newer(cursors: Cursors): Cursors {
  return cursors.length > 1 ? cursors.slice(0, -1) : cursors;
}

export function currentCursor(cursors: Cursors): string | undefined {
  return cursors[cursors.length - 1];
}

/** A record of details in one readable line: `email=bea@example.org role=viewer`. */
export function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}
