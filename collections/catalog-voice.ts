/** Downloadable voice-conversion models (RVC generators, content encoders), pinned by sha256. */
export const voiceCatalog: unknown[] = [];
