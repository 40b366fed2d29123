package dev.transcriber.worker.batches;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads the episodes of an RSS 2.0 or Atom podcast feed, streamed: each {@code item}'s (or {@code entry}'s) audio
 * enclosure with its title, guid (or id) and publication date. DTDs and external entities are refused.
 */
final class FeedReader {

    /** One episode; {@code audioUrl} null when it has no enclosure. */
    record Episode(String audioUrl, String title, String guid, String published) {}

    /** The feed is not RSS or Atom, or not well-formed XML. */
    static final class InvalidFeed extends RuntimeException {
        InvalidFeed(String message) {
            super(message);
        }
    }

    private FeedReader() {}

    static List<Episode> read(InputStream in) {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        List<Episode> episodes = new ArrayList<>();
        try {
            XMLStreamReader xml = factory.createXMLStreamReader(in);
            String root = null;
            Builder episode = null;
            while (xml.hasNext()) {
                int event = xml.next();
                if (event != XMLStreamConstants.START_ELEMENT && event != XMLStreamConstants.END_ELEMENT) {
                    continue;
                }
                String name = xml.getLocalName();
                if (event == XMLStreamConstants.END_ELEMENT) {
                    if (episode != null && (name.equals("item") || name.equals("entry"))) {
                        episodes.add(episode.build());
                        episode = null;
                    }
                    continue;
                }
                if (root == null) {
                    root = name;
                    if (!root.equals("rss") && !root.equals("feed") && !root.equals("RDF")) {
                        throw new InvalidFeed("The feed is neither RSS nor Atom (its root element is <" + root + ">).");
                    }
                    continue;
                }
                if (name.equals("item") || name.equals("entry")) {
                    episode = new Builder();
                } else if (episode != null) {
                    switch (name) {
                        case "enclosure" -> episode.audioUrl(xml.getAttributeValue(null, "url"));
                        case "link" -> {
                            if ("enclosure".equals(xml.getAttributeValue(null, "rel"))) {
                                episode.audioUrl(xml.getAttributeValue(null, "href"));
                            }
                        }
                        case "title" -> episode.title = text(xml);
                        case "guid", "id" -> episode.guid = text(xml);
                        case "pubDate", "published" -> episode.published = text(xml);
                        case "updated" -> {
                            String updated = text(xml);
                            if (episode.published == null) {
                                episode.published = updated;
                            }
                        }
                        default -> {}
                    }
                }
            }
            if (root == null) {
                throw new InvalidFeed("The feed is empty.");
            }
        } catch (XMLStreamException e) {
            throw new InvalidFeed("The feed is not well-formed XML: " + e.getMessage());
        }
        return episodes;
    }

    /** The element's text; the reader is left on its end tag. */
    private static String text(XMLStreamReader xml) throws XMLStreamException {
        String text = xml.getElementText();
        return text == null || text.isBlank() ? null : text.strip();
    }

    private static final class Builder {
        private String audioUrl;
        private String title;
        private String guid;
        private String published;

        void audioUrl(String url) {
            if (audioUrl == null && url != null && !url.isBlank()) {
                audioUrl = url.strip();
            }
        }

        Episode build() {
            return new Episode(audioUrl, title, guid, published);
        }
    }
}
