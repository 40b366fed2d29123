package dev.transcriber.common.store;

/** Where a batch's items come from. */
public enum BatchSource {
    /** A list of {@code audio_url} / {@code upload_id} items in the request. */
    ITEMS,
    /** An RSS or Atom podcast feed: one item per episode enclosure. */
    FEED,
    /** A zip or tar uploaded through a presigned upload: one item per audio file inside. */
    ARCHIVE
}
