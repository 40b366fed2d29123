package dev.transcriber.api.bodies;

import dev.transcriber.api.errors.NulInTextException;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.HttpMessageConverters;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.KeyDeserializer;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.deser.std.StdScalarDeserializer;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.type.LogicalType;

/**
 * No string of a request's JSON body, value or key, carries a NUL character: no field of this API takes one, and
 * PostgreSQL stores none (a prompt or a metadata value with one failed at the database as a 500, a batch's item only
 * when the batch was expanded). The body is refused as it is parsed ({@link NulInTextException}, a 400 naming the
 * field). Only the message converter that reads request bodies checks: the api's own {@link JsonMapper} reads stored
 * transcripts and events as they are, at no cost.
 */
@Configuration(proxyBeanMethods = false)
class NulFreeJson implements WebMvcConfigurer {

    private final JsonMapper json;

    NulFreeJson(JsonMapper json) {
        this.json = json;
    }

    /** After Spring Boot's configurer: this JSON converter replaces the one it set (the same mapper, plus the check). */
    @Override
    public void configureMessageConverters(HttpMessageConverters.ServerBuilder converters) {
        SimpleModule module = new SimpleModule("nul-free-strings");
        module.addDeserializer(String.class, new Values());
        module.addKeyDeserializer(String.class, new Keys());
        converters.withJsonConverter(new JacksonJsonHttpMessageConverter(
                json.rebuild().addModule(module).build()));
    }

    private static String checked(JsonParser parser, String text) {
        if (text != null && text.indexOf('\0') >= 0) {
            throw new NulInTextException(parser);
        }
        return text;
    }

    /** A string value, read as Jackson reads one, then checked. */
    private static final class Values extends StdScalarDeserializer<String> {

        Values() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) {
            return checked(parser, StringDeserializer.instance.deserialize(parser, context));
        }

        @Override
        public LogicalType logicalType() {
            return LogicalType.Textual;
        }

        @Override
        public Object getEmptyValue(DeserializationContext context) {
            return "";
        }
    }

    /** A map's key. */
    private static final class Keys extends KeyDeserializer {

        @Override
        public Object deserializeKey(String key, DeserializationContext context) {
            return checked(context.getParser(), key);
        }
    }
}
