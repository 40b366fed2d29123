package dev.transcriber.standalone.architecture.cycle.a;

import dev.transcriber.standalone.architecture.cycle.b.Second;

/** Half of a deliberate package cycle that ArchitectureTest must report. */
public class First {
    Second second;
}
