/** `dubd doctor` probes for the mt providers beyond the offline defaults. */
import type { Probe } from './probe.js';

export const mtProbes: Probe[] = [];
