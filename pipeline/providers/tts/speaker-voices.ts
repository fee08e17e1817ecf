/**
 * Per-speaker voices: each source speaker gets one voice per target language, taken round-robin from the
 * configured list in order of first appearance, and keeps it for the life of the assigner (one stream).
 * With more speakers than voices the list wraps: speaker 3 of a 2-voice list shares speaker 1's voice.
 */
import { langKey, listFor } from './request.js';

export interface VoiceAssignment {
  voice: string;
  /** Position in the language's list (the fallback chain maps it to other providers' lists). */
  index: number;
}

export class SpeakerVoiceAssigner {
  private readonly voices: Record<string, string[]>;
  /** lang → speaker → index. */
  private readonly assigned = new Map<string, Map<string, number>>();
  private readonly maxSpeakers: number;

  /**
   * @param voices lists per language, in assignment order.
   * @param maxSpeakers bound on remembered speakers per language; past it the oldest is forgotten.
   */
  constructor(voices: Record<string, string[]>, maxSpeakers = 64) {
    this.voices = voices;
    this.maxSpeakers = maxSpeakers;
  }

  /** The speaker's voice for `lang`; undefined when no list is configured for it (the provider's default then). */
  voiceFor(speaker: string, lang: string): VoiceAssignment | undefined {
    const list = listFor(this.voices, lang);
    if (!list?.length) return undefined;
    const key = langKey(lang);
    let bySpeaker = this.assigned.get(key);
    if (!bySpeaker) {
      bySpeaker = new Map();
      this.assigned.set(key, bySpeaker);
    }
    let index = bySpeaker.get(speaker);
    if (index === undefined) {
      // Next in the round: one past the most recently assigned speaker, so a forgotten speaker does not reset it.
      const last = [...bySpeaker.values()].pop();
      index = last === undefined ? 0 : (last + 1) % list.length;
      bySpeaker.set(speaker, index);
      if (bySpeaker.size > this.maxSpeakers) bySpeaker.delete(bySpeaker.keys().next().value as string);
    }
    return { voice: list[index % list.length], index };
  }

  /** Speakers seen so far per language, for reports: {es: {S1: 'es-ES-AlvaroNeural', …}}. */
  snapshot(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [lang, bySpeaker] of this.assigned) {
      const list = listFor(this.voices, lang) ?? [];
      out[lang] = Object.fromEntries([...bySpeaker].map(([s, i]) => [s, list[i % list.length] ?? '']));
    }
    return out;
  }
}
