package dev.transcriber.api.admin;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /admin/keys}: create (the secret is in the answer once, stored hashed), list, update and revoke callers'
 * keys. A change reaches every api instance within a second (their key cache lasts that long).
 */
@RestController
class AdminKeysController {

    private final AdminKeys keys;

    AdminKeysController(AdminKeys keys) {
        this.keys = keys;
    }

    @PostMapping("/admin/keys")
    ResponseEntity<KeyView> create(@RequestBody KeyRequest request) {
        return ResponseEntity.status(HttpStatus.CREATED).body(keys.create(request));
    }

    @GetMapping("/admin/keys")
    KeyView.Page list() {
        return keys.list();
    }

    @PatchMapping("/admin/keys/{id}")
    KeyView update(@PathVariable String id, @RequestBody KeyRequest request) {
        return keys.update(id, request);
    }

    @DeleteMapping("/admin/keys/{id}")
    KeyView.Deleted revoke(@PathVariable String id) {
        return keys.revoke(id);
    }
}
