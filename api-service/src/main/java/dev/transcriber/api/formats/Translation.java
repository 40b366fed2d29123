package dev.transcriber.api.formats;

/** A translation's {@code response_format=json}: the English text alone (OpenAI's translations report no usage). */
record Translation(String text) {}
