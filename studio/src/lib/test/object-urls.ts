/**
 * jsdom has no object URLs: a stand-in that hands out unique `blob:` URLs and remembers which are still
 * live, so tests can check that a component revokes what it created.
 */
const live = new Set<string>();
let next = 0;

export function installObjectUrls(): void {
  if (typeof URL.createObjectURL === 'function') return;
  URL.createObjectURL = () => {
    const url = `blob:test/${++next}`;
    live.add(url);
    return url;
  };
  URL.revokeObjectURL = (url: string) => void live.delete(url);
}

/** Object URLs created and not revoked yet. */
export function liveObjectUrls(): string[] {
  return [...live];
}
