/** `dubd doctor` probes for the voice providers beyond the offline defaults. */
import type { Probe } from './probe.js';

export const voiceProbes: Probe[] = [];
