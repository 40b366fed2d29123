package dev.transcriber.common.catalog;

/**
 * A model the gateway serves: its public id, the name upstream providers know it by, and how it is billed.
 */
public record CatalogModel(String id, String upstreamName, Billing billing) {

    public enum Billing {
        TOKENS,
        DURATION
    }
}
