/**
 * Downloadable voice-conversion models (RVC generators, content encoders), pinned by sha256.
 *
 * Empty on purpose: the ContentVec ONNX exports RVC ports use (e.g. vec-768-layer-12.onnx from the
 * NaruseMioShirakana/MoeSS-SUBModel Hugging Face repo) are linked from many public projects, but none of them
 * pins a checksum, and a model without a checksum agreed on by public sources cannot be pulled safely.
 * RVC generators are per-voice and trained by the user. Until then voice.rvc.* take file paths; a voice
 * entry added here (kind 'voice', an .onnx file) can be named by its id instead.
 */
export const voiceCatalog: unknown[] = [];
