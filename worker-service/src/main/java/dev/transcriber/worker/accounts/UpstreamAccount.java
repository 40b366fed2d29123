package dev.transcriber.worker.accounts;

/** One upstream speech-to-text account: where it is and the key to use. */
public record UpstreamAccount(String id, String baseUrl, String apiKey) {

    @Override
    public String toString() {
        return "UpstreamAccount[" + id + " at " + baseUrl + "]";
    }
}
