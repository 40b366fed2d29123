package dev.transcriber.standalone.architecture.fat;

import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A controller that answers with a map inside a ResponseEntity, which ArchitectureTest must report. */
@RestController
class MapController {

    @GetMapping("/fixture")
    ResponseEntity<Map<String, Object>> answer() {
        return ResponseEntity.ok(Map.of("text", "untyped"));
    }
}
