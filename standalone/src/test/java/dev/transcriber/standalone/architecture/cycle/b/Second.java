package dev.transcriber.standalone.architecture.cycle.b;

import dev.transcriber.standalone.architecture.cycle.a.First;

/** The other half of the deliberate package cycle. */
public class Second {
    First first;
}
