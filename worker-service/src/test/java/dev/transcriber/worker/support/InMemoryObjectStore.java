package dev.transcriber.worker.support;

import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.storage.StorageProperties;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.util.unit.DataSize;

/** An object store kept in memory, for tests of what streams into it (it reads each upload whole, as S3 would). */
public class InMemoryObjectStore extends ObjectStore {

    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Map<String, String> types = new ConcurrentHashMap<>();

    public InMemoryObjectStore() {
        super(new StorageProperties(
                "http://127.0.0.1:9", "test", "test-secret", "test", "us-east-1", DataSize.ofMegabytes(8)));
    }

    @Override
    public void put(String key, InputStream in, long size, String contentType) {
        try {
            objects.put(key, in.readAllBytes());
        } catch (IOException e) {
            throw new ObjectStoreException("put " + key, e);
        }
        types.put(key, contentType == null ? "application/octet-stream" : contentType);
    }

    @Override
    public InputStream open(String key) {
        return new ByteArrayInputStream(objects.get(key));
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
        types.remove(key);
    }

    public Map<String, byte[]> objects() {
        return objects;
    }

    public String contentType(String key) {
        return types.get(key);
    }
}
