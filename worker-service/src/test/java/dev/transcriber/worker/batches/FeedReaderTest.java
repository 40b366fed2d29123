package dev.transcriber.worker.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeedReaderTest {

    @Test
    void readsRssItemsWithTheirEnclosureTitleGuidAndDate() {
        List<FeedReader.Episode> episodes = read("""
                <?xml version="1.0" encoding="UTF-8"?>
                <rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
                  <channel><title>Show</title><link>https://example.com</link>
                    <item><title>One</title><link>https://example.com/1</link><guid isPermaLink="false">g1</guid>
                      <pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate><itunes:duration>10:00</itunes:duration>
                      <enclosure url="https://cdn.example.com/1.mp3" length="1" type="audio/mpeg"/></item>
                    <item><title>Text only</title></item>
                  </channel>
                </rss>
                """);

        assertThat(episodes)
                .containsExactly(
                        new FeedReader.Episode(
                                "https://cdn.example.com/1.mp3", "One", "g1", "Mon, 02 Nov 2026 10:00:00 GMT"),
                        new FeedReader.Episode(null, "Text only", null, null));
    }

    @Test
    void readsAtomEntriesWithAnEnclosureLink() {
        List<FeedReader.Episode> episodes = read("""
                <feed xmlns="http://www.w3.org/2005/Atom"><title>Show</title><id>feed</id>
                  <entry><title>Ep</title><id>urn:ep:1</id><updated>2026-11-01T00:00:00Z</updated>
                    <link rel="alternate" href="https://example.com/ep"/>
                    <link rel="enclosure" href="https://cdn.example.com/ep.m4a" type="audio/mp4"/></entry>
                </feed>
                """);

        assertThat(episodes)
                .containsExactly(new FeedReader.Episode(
                        "https://cdn.example.com/ep.m4a", "Ep", "urn:ep:1", "2026-11-01T00:00:00Z"));
    }

    @Test
    void refusesOtherDocumentsAndExternalEntities() {
        assertThatThrownBy(() -> read("<html><body/></html>"))
                .isInstanceOf(FeedReader.InvalidFeed.class)
                .hasMessageContaining("<html>");
        assertThatThrownBy(() -> read("<rss><channel>"))
                .isInstanceOf(FeedReader.InvalidFeed.class)
                .hasMessageContaining("well-formed");
        assertThatThrownBy(() -> read("""
                        <?xml version="1.0"?>
                        <!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                        <rss><channel><item><title>&x;</title></item></channel></rss>
                        """)).isInstanceOf(FeedReader.InvalidFeed.class);
    }

    private static List<FeedReader.Episode> read(String xml) {
        return FeedReader.read(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }
}
