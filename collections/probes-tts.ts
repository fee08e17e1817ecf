/** `dubd doctor` probes for the tts providers beyond the offline defaults. */
import type { Probe } from './probe.js';

export const ttsProbes: Probe[] = [];
