package dev.transcriber.worker.audio;

/**
 * What probing found: the container (as ffmpeg names it), the audio codec, and the length in seconds when the
 * container states it (null otherwise; decoding measures it then).
 */
public record ProbedAudio(String container, String codec, Double durationSeconds) {}
